import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { FieldMap } from './lower-variants.js';

/**
 * Logsource pipelines (policies/pipelines/<name>.yml, kind Pipeline): which channels and event
 * ids a Sigma logsource means, and how rule fields are named in those events. A rule whose
 * logsource matches no entry imposes no constraint; when several entries match, the most
 * specific (most keys) wins, as pySigma's logsource conditions do.
 */

/** One way events of a logsource are written. */
export interface PipelineVariant {
  readonly channels?: readonly string[];
  readonly eventIds?: readonly number[];
  readonly fieldMap: FieldMap;
}

/** One logsource entry of a pipeline. */
export interface PipelineLogsource {
  readonly logsource: Readonly<Record<string, string>>;
  readonly variants: readonly PipelineVariant[];
}

/** A loaded pipeline. */
export interface Pipeline {
  readonly name: string;
  readonly fieldMap: FieldMap;
  readonly logsources: readonly PipelineLogsource[];
}

/** The directory whose package.json is named `vigil` (works from source and from dist/). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vigil') return dir;
      } catch {
        // keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

function asList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}

function asFieldMap(v: unknown, where: string): FieldMap {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where}: fieldMap must be a map`);
  const out: Record<string, string | string[]> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const list = asList(x);
    if (!list) throw new Error(`${where}: fieldMap.${k} must be a field name or a list of them`);
    out[k] = typeof x === 'string' ? x : list;
  }
  return out;
}

/** Turns parsed pipeline YAML into a Pipeline; throws an Error with a readable message when it is malformed. */
export function pipelineFromData(data: unknown, name: string): Pipeline {
  if (typeof data !== 'object' || data === null) throw new Error('not a YAML map');
  const doc = data as Record<string, unknown>;
  if (doc.kind !== 'Pipeline') throw new Error('`kind` must be `Pipeline`');
  const spec = (doc.spec ?? {}) as Record<string, unknown>;
  const entries = spec.logsources ?? [];
  if (!Array.isArray(entries)) throw new Error('spec.logsources must be a list');
  const logsources = entries.map((e: unknown, i): PipelineLogsource => {
    const entry = (e ?? {}) as Record<string, unknown>;
    const ls = (entry.logsource ?? {}) as Record<string, unknown>;
    const logsource: Record<string, string> = {};
    for (const [k, v] of Object.entries(ls)) logsource[k] = String(v).toLowerCase();
    const vars = Array.isArray(entry.variants) ? entry.variants : [{}];
    const variants = vars.map((v: unknown, j): PipelineVariant => {
      const variant = (v ?? {}) as Record<string, unknown>;
      const where = `spec.logsources[${i}].variants[${j}]`;
      const channels = variant.channel === undefined ? undefined : asList(variant.channel);
      if (variant.channel !== undefined && !channels) throw new Error(`${where}: channel must be a string or a list of strings`);
      const ids = variant.eventIds;
      if (ids !== undefined && !(Array.isArray(ids) && ids.every((x) => Number.isInteger(Number(x))))) throw new Error(`${where}: eventIds must be a list of integers`);
      return {
        ...(channels ? { channels: channels.map((c) => c.toLowerCase()) } : {}),
        ...(ids !== undefined ? { eventIds: (ids as unknown[]).map(Number) } : {}),
        fieldMap: asFieldMap(variant.fieldMap, where),
      };
    });
    return { logsource, variants };
  });
  return { name, fieldMap: asFieldMap(spec.fieldMap, 'spec'), logsources };
}

/** A pipeline file as read (its digest keys the compile cache), parsed on first use. */
interface PipelineFile {
  readonly digest: string;
  readonly text: string;
  parsed?: Pipeline | Error;
}

/** Pipelines by the name or path asked for: read once per process, or again when pipelineDigest finds new bytes. */
const files = new Map<string, PipelineFile | Error>();

/** Finds and reads a pipeline by name (policies/pipelines/<name>.yml under the package root) or by file path. */
function readPipeline(nameOrPath: string): PipelineFile | Error {
  try {
    const isPath = nameOrPath.includes('/') || nameOrPath.includes('\\') || /\.ya?ml$/.test(nameOrPath);
    const dir = path.join(packageRoot(), 'policies', 'pipelines');
    const file = isPath ? path.resolve(nameOrPath) : [path.join(dir, `${nameOrPath}.yml`), path.join(dir, `${nameOrPath}.yaml`)].find((f) => existsSync(f));
    if (!file || !existsSync(file)) throw new Error(`no file policies/pipelines/${nameOrPath}.yml`);
    const bytes = readFileSync(file);
    return { digest: createHash('sha256').update(bytes).digest('hex'), text: bytes.toString('utf8') };
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * The SHA-256 of a pipeline file's bytes, read now (what the compile cache is keyed by, so a
 * warm build need not parse the pipeline at all). A changed file replaces the one loadPipeline
 * would use, so the pipeline compiled with is always the one digested.
 */
export function pipelineDigest(nameOrPath: string): string | Error {
  const now = readPipeline(nameOrPath);
  const known = files.get(nameOrPath);
  if (now instanceof Error || known === undefined || known instanceof Error || known.digest !== now.digest) files.set(nameOrPath, now);
  return now instanceof Error ? now : now.digest;
}

/** Loads a pipeline by name (policies/pipelines/<name>.yml under the package root) or by file path. */
export function loadPipeline(nameOrPath: string): Pipeline | Error {
  let file = files.get(nameOrPath);
  if (file === undefined) files.set(nameOrPath, (file = readPipeline(nameOrPath)));
  if (file instanceof Error) return file;
  if (file.parsed === undefined) {
    try {
      file.parsed = pipelineFromData(parse(file.text), nameOrPath);
    } catch (error) {
      file.parsed = error instanceof Error ? error : new Error(String(error));
    }
  }
  return file.parsed;
}

/** The pipeline loadPipeline parsed for this name from a file with this digest, if it did (the compile cache keeps it). */
export function parsedPipeline(nameOrPath: string, digest: string): Pipeline | undefined {
  const file = files.get(nameOrPath);
  return file === undefined || file instanceof Error || file.digest !== digest || file.parsed instanceof Error ? undefined : file.parsed;
}

/**
 * Hands loadPipeline a pipeline parsed earlier from a file with this digest (the compile cache's
 * copy), so an incremental build does not parse the YAML again; ignored unless the file read
 * now has that digest.
 */
export function knownPipeline(nameOrPath: string, digest: string, pipeline: Pipeline): void {
  const file = files.get(nameOrPath);
  if (file !== undefined && !(file instanceof Error) && file.digest === digest && file.parsed === undefined) file.parsed = pipeline;
}

/** The variants a rule's logsource means under a pipeline: [] means "no constraint" (one unscoped variant). */
export function variantsFor(pipeline: Pipeline | undefined, logsource: Readonly<Record<string, string>>): readonly PipelineVariant[] {
  if (!pipeline) return [];
  let best: PipelineLogsource | undefined;
  let bestKeys = -1;
  for (const entry of pipeline.logsources) {
    const keys = Object.keys(entry.logsource);
    if (keys.length === 0) continue;
    if (!keys.every((k) => (logsource[k] ?? '').toLowerCase() === entry.logsource[k])) continue;
    if (keys.length > bestKeys) {
      best = entry;
      bestKeys = keys.length;
    }
  }
  return best ? best.variants : [];
}
