/**
 * The content-hash cache of per-file compilation results (docs/compile.md, "Caching").
 *
 * For a file that compiled cleanly it keeps what the expensive per-file stages produced: each
 * document's classification, plain value (as validated), name and name span, and for Sigma
 * documents the compiled IR as canonical JSON. An unchanged file then skips YAML parsing, schema
 * validation and Sigma compilation; cross-file stages (resolve, checks, lower) always run.
 *
 * An entry is found by a key over everything its content depends on: the file's path and
 * SHA-256, a fingerprint of the compiler itself (its version, dependency versions, the Node
 * version and the bytes of its own code and schemas, so any change to Vigil invalidates every entry) and the Sigma
 * settings (the pipeline's content, placeholders, field map). Entries are written atomically
 * (temp file + rename) and never changed, so concurrent builds can share a cache. Anything
 * unreadable is a miss: the cache can make a build faster, never different or failing.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson, freezeJsonCanonical } from '../runtime/bundle/canonical.js';
import type { SigmaCompiled, SigmaOptions } from './sigma/compile-sigma.js';
import { loadPipeline } from './sigma/pipelines.js';
import type { Source } from './source.js';
import type { DocKind } from './stages/classify.js';

/** Entry format version; bump when the layout of an entry changes. */
const FORMAT = 1;
/** Compiler fingerprints kept side by side (older ones are removed when a new one starts). */
const KEEP_FINGERPRINTS = 3;

/** One document of a cached file. */
export interface CachedDoc {
  readonly index: number;
  readonly kind: DocKind;
  readonly name: string | undefined;
  readonly nameSpan: { readonly start: number; readonly end: number };
  /** The document's plain value, exactly as parse produced and validate accepted it. */
  readonly data: Readonly<Record<string, unknown>>;
  /** What the Sigma compiler produced (its IR frozen, canonical text already known). */
  readonly sigma?: SigmaCompiled;
}

/** Counts of one compilation's cache use (for `--format json`, benchmarks and tests). */
export interface CacheStats {
  hits: number;
  misses: number;
  stored: number;
  /** Cached files whose YAML had to be parsed after all, because a later stage needed spans. */
  reparsed: number;
}

/** The default cache directory: VIGIL_CACHE_DIR, else $XDG_CACHE_HOME/vigil, else ~/.cache/vigil. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.VIGIL_CACHE_DIR) return path.resolve(env.VIGIL_CACHE_DIR);
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'vigil');
}

let fingerprintMemo: string | undefined;

/** SHA-256 over the compiler's version, its dependencies and the bytes of its code and schemas. */
export function compilerFingerprint(): string {
  if (fingerprintMemo !== undefined) return fingerprintMemo;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.dirname(here);
  const hash = createHash('sha256').update(`vigil-cache-${FORMAT}\0node-${process.versions.node}\0`);
  // The package.json beside the code (dist/ has none): version and dependency versions.
  for (let dir = root, i = 0; i < 3; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string; dependencies?: unknown };
    if (pkg.name !== 'vigil') continue;
    hash.update(JSON.stringify([pkg.version, pkg.dependencies ?? {}]));
    break;
  }
  for (const folder of ['compiler', 'runtime', 'schema']) {
    for (const rel of codeFiles(path.join(root, folder))) hash.update(`\0${folder}/${rel}\0`).update(readFileSync(path.join(root, folder, rel)));
  }
  return (fingerprintMemo = hash.digest('hex'));
}

/** Code and schema files under a folder, sorted, as relative paths. */
function codeFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (/\.(js|ts|json)$/.test(e.name) && !e.name.endsWith('.d.ts') && !e.name.endsWith('.map')) out.push(child);
    }
  };
  walk('');
  return out.sort();
}

/** The digest of the Sigma settings, or undefined when they cannot be keyed (then nothing is cached). */
export function settingsDigest(sigma: SigmaOptions): string | undefined {
  try {
    const pipeline = sigma.pipelineData ?? (sigma.pipeline === undefined ? null : loadPipeline(sigma.pipeline));
    if (pipeline instanceof Error) return undefined;
    const text = canonicalJson({ pipeline, placeholders: sigma.placeholders ?? {}, fieldMap: sigma.fieldMap ?? {} });
    return createHash('sha256').update(text).digest('hex');
  } catch {
    return undefined;
  }
}

/** A cache directory opened for one compilation. */
export class FileCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, stored: 0, reparsed: 0 };
  private readonly folder: string;
  private prepared = false;

  private constructor(private readonly root: string, private readonly fingerprint: string, private readonly settings: string) {
    this.folder = path.join(root, fingerprint.slice(0, 16));
  }

  /** Opens the cache for these Sigma settings; undefined when they cannot be keyed. */
  static open(root: string, sigma: SigmaOptions): FileCache | undefined {
    const settings = settingsDigest(sigma);
    if (settings === undefined) return undefined;
    try {
      return new FileCache(root, compilerFingerprint(), settings);
    } catch {
      // Vigil's own files could not be read for the fingerprint: build without a cache.
      return undefined;
    }
  }

  /** The key of a file: its path and bytes, the compiler and the settings. */
  private keyOf(source: Source): string {
    return createHash('sha256').update(`${this.fingerprint}\0${this.settings}\0${source.path}\0${source.digest}`).digest('hex');
  }

  private fileOf(key: string): string {
    return path.join(this.folder, key.slice(0, 2), key);
  }

  /** The cached documents of a file, or undefined on a miss (absent, unreadable or corrupt entry). */
  get(source: Source): CachedDoc[] | undefined {
    const key = this.keyOf(source);
    let text: string;
    try {
      text = readFileSync(this.fileOf(key), 'utf8');
    } catch {
      this.stats.misses++;
      return undefined;
    }
    const docs = decodeEntry(text, key, source.path);
    if (docs === undefined) this.stats.misses++;
    else this.stats.hits++;
    return docs;
  }

  /** Stores the documents of a file that compiled without any diagnostic; failures are ignored. */
  put(source: Source, docs: readonly CachedDoc[]): void {
    const key = this.keyOf(source);
    const body = encodeEntry(docs, key, source.path);
    if (body === undefined) return;
    try {
      this.prepare();
      const file = this.fileOf(key);
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, body);
      renameSync(tmp, file);
      this.stats.stored++;
    } catch {
      // A cache that cannot be written only makes the next build slower.
    }
  }

  /** On the first write under a new fingerprint, removes the folders of all but the newest older ones. */
  private prepare(): void {
    if (this.prepared) return;
    this.prepared = true;
    if (existsSync(this.folder)) return;
    mkdirSync(this.folder, { recursive: true });
    try {
      const others = readdirSync(this.root, { withFileTypes: true })
        .filter((e) => e.isDirectory() && /^[0-9a-f]{16}$/.test(e.name) && path.join(this.root, e.name) !== this.folder)
        .map((e) => ({ dir: path.join(this.root, e.name), time: statSync(path.join(this.root, e.name)).mtimeMs }))
        .sort((a, b) => b.time - a.time);
      for (const old of others.slice(KEEP_FINGERPRINTS - 1)) rmSync(old.dir, { recursive: true, force: true });
    } catch {
      // Pruning is housekeeping only.
    }
  }
}

/**
 * An entry is `<sha256 of the rest>\n<header JSON>\n<canonical IR>\n...`: the header holds the
 * documents, and each Sigma document's IR follows on its own line as canonical JSON (which has
 * no raw newline), so it is parsed once and its canonical text is reused for the bundles.
 */
function encodeEntry(docs: readonly CachedDoc[], key: string, file: string): string | undefined {
  // A value JSON cannot carry exactly (`.inf`, -0) would come back different: such files are not cached.
  if (!docs.every((d) => isJsonExact(d.data))) return undefined;
  const irs: string[] = [];
  const header = docs.map((d) => {
    const sigma = d.sigma === undefined ? undefined : { type: d.sigma.type, id: d.sigma.id, title: d.sigma.title };
    if (d.sigma !== undefined) irs.push(canonicalJson(d.sigma.ir));
    return { index: d.index, kind: d.kind, name: d.name ?? null, nameSpan: [d.nameSpan.start, d.nameSpan.end], data: d.data, sigma: sigma ?? null };
  });
  const rest = [JSON.stringify({ format: FORMAT, key, file, docs: header }), ...irs].join('\n');
  return `${createHash('sha256').update(rest).digest('hex')}\n${rest}`;
}

interface HeaderDoc {
  index: number;
  kind: DocKind;
  name: string | null;
  nameSpan: [number, number];
  data: Record<string, unknown>;
  sigma: { type: SigmaCompiled['type']; id: string; title: string } | null;
}

function decodeEntry(text: string, key: string, file: string): CachedDoc[] | undefined {
  try {
    const nl = text.indexOf('\n');
    const rest = text.slice(nl + 1);
    if (nl !== 64 || createHash('sha256').update(rest).digest('hex') !== text.slice(0, 64)) return undefined;
    const lines = rest.split('\n');
    const header = JSON.parse(lines[0] ?? '') as { format?: unknown; key?: unknown; file?: unknown; docs?: HeaderDoc[] };
    if (header.format !== FORMAT || header.key !== key || header.file !== file || !Array.isArray(header.docs)) return undefined;
    let next = 1;
    return header.docs.map((d) => {
      const ir = d.sigma === null ? undefined : lines[next++];
      const sigma = d.sigma === null || ir === undefined ? undefined : { ...d.sigma, ir: freezeJsonCanonical(ir) as SigmaCompiled['ir'] };
      return { index: d.index, kind: d.kind, name: d.name ?? undefined, nameSpan: { start: d.nameSpan[0], end: d.nameSpan[1] }, data: d.data, ...(sigma ? { sigma } : {}) };
    });
  } catch {
    return undefined;
  }
}

/** Whether a value survives JSON.stringify → JSON.parse unchanged (no NaN, ±Infinity, -0, undefined or exotic objects). */
export function isJsonExact(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isJsonExact(value[i])) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      return Object.keys(value).every((k) => k !== '__proto__' && isJsonExact((value as Record<string, unknown>)[k]));
    }
    default:
      return false;
  }
}

/**
 * The cache directory a command uses: none with `--no-cache`, else `--cache DIR` (relative to
 * `cwd`), else none when VIGIL_CACHE=off, else the default. Undefined means no cache.
 */
export function cacheDirFor(option: string | undefined, disabled: boolean | undefined, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (disabled) return undefined;
  if (option !== undefined) return path.resolve(cwd, option);
  return env.VIGIL_CACHE === 'off' ? undefined : defaultCacheDir(env);
}
