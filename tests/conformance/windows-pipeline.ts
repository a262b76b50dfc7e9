import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/cli.js';

/**
 * A small, independent reading of policies/pipelines/windows.yml (schema/pipeline.schema.json)
 * so the tests can check which logsource an event belongs to without the compiler under test.
 */

/** One variant of a logsource entry, as the pipeline file writes it. */
export interface Variant {
  readonly channel: string | readonly string[];
  readonly eventIds?: readonly number[];
  readonly fieldMap?: Readonly<Record<string, string | readonly string[]>>;
}

/** One logsource entry of the pipeline. */
export interface Entry {
  readonly logsource: Readonly<Record<string, string>>;
  readonly variants: readonly Variant[];
}

/** A pipeline file's content. */
export interface PipelineFile {
  readonly metadata: { readonly name: string };
  readonly spec: { readonly fieldMap?: Readonly<Record<string, string | readonly string[]>>; readonly logsources: readonly Entry[] };
}

/** The directory holding the pipeline files. */
export const PIPELINES_DIR = path.join(REPO_ROOT, 'policies/pipelines');

/** Reads and parses policies/pipelines/<name>.yml. */
export function readPipeline(name: string): PipelineFile {
  return parse(fs.readFileSync(path.join(PIPELINES_DIR, `${name}.yml`), 'utf8')) as PipelineFile;
}

/** The entry a rule's logsource selects: every key of the entry equals the rule's, most keys wins. */
export function selectEntry(pipeline: PipelineFile, logsource: Readonly<Record<string, unknown>>): Entry | undefined {
  let best: Entry | undefined;
  for (const entry of pipeline.spec.logsources) {
    const keys = Object.keys(entry.logsource);
    const fits = keys.every((k) => String(logsource[k] ?? '').toLowerCase() === entry.logsource[k]!.toLowerCase());
    if (fits && (!best || keys.length > Object.keys(best.logsource).length)) best = entry;
  }
  return best;
}

/** Whether an event (flat or EVTX layout) belongs to one of the entry's variants. */
export function inEntry(entry: Entry, event: Record<string, any>): boolean {
  const channel = String(event.Channel ?? event.Event?.System?.Channel ?? '').toLowerCase();
  let id = event.EventID ?? event.Event?.System?.EventID;
  if (id && typeof id === 'object') id = id['#text'];
  return entry.variants.some((v) => {
    const channels = (typeof v.channel === 'string' ? [v.channel] : v.channel).map((c) => c.toLowerCase());
    return channels.includes(channel) && (!v.eventIds || v.eventIds.includes(Number(id)));
  });
}
