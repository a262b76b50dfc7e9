import { parseAllDocuments } from 'yaml';
import { logEntries, readBlobs, type CommitInfo, type LogEntry, type RepoPlace } from './git-log.js';

/**
 * `vigil history --rule ID`: every commit that added, changed, renamed, moved or removed a
 * Sigma rule, found by the rule's id inside the files a commit touched, not by file name. So
 * a rule keeps its history across renames, moves to another folder or package, and edits in
 * the same commit as a move (which git's rename detection may miss).
 */

/** How a commit touched the rule. */
export type RuleChangeKind = 'added' | 'modified' | 'renamed' | 'removed';

/** One commit in a rule's history. */
export interface RuleHistoryEntry extends CommitInfo {
  readonly change: RuleChangeKind;
  /** The rule's file after the commit (before it, for a removal). */
  readonly path: string;
  readonly oldPath?: string;
  /** Top-level rule fields whose value changed (`detection`, `level`, ...). */
  readonly fields: readonly string[];
}

/** The rule with this id in a file's text, as plain data, or undefined. */
function ruleIn(text: string | undefined, id: string): Record<string, unknown> | undefined {
  if (text === undefined || !text.includes(id)) return undefined;
  try {
    for (const doc of parseAllDocuments(text) as { toJS(): unknown }[]) {
      const data = doc.toJS() as Record<string, unknown> | null;
      if (data && typeof data === 'object' && data.id === id) return data;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Top-level keys whose values differ (as JSON). */
function changedFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/** The history of one rule, oldest first. */
export async function ruleHistory(place: RepoPlace, id: string, rev = 'HEAD'): Promise<RuleHistoryEntry[]> {
  const entries = await logEntries(place, rev);
  const yaml = (p: string) => /\.ya?ml$/i.test(p) && !/\.tests\.ya?ml$/i.test(p);
  const blobs = await readBlobs(place.top, entries.flatMap((e) => e.changes.filter((c) => yaml(c.path)).flatMap((c) => [c.oldBlob, c.newBlob].filter((b): b is string => b !== undefined))));
  const out: RuleHistoryEntry[] = [];
  for (const entry of [...entries].reverse()) {
    const found = ruleChange(entry, id, blobs, yaml);
    if (found) out.push({ ...entry.info, ...found });
  }
  return out;
}

function ruleChange(entry: LogEntry, id: string, blobs: ReadonlyMap<string, string>, yaml: (p: string) => boolean): Omit<RuleHistoryEntry, keyof CommitInfo> | undefined {
  let before: { path: string; data: Record<string, unknown> } | undefined;
  let after: { path: string; data: Record<string, unknown> } | undefined;
  for (const c of entry.changes) {
    if (!yaml(c.path)) continue;
    const old = ruleIn(c.oldBlob === undefined ? undefined : blobs.get(c.oldBlob), id);
    const now = ruleIn(c.newBlob === undefined ? undefined : blobs.get(c.newBlob), id);
    if (old) before ??= { path: c.oldPath ?? c.path, data: old };
    if (now) after ??= { path: c.path, data: now };
  }
  if (!before && !after) return undefined;
  if (!before) return { change: 'added', path: after!.path, fields: [] };
  if (!after) return { change: 'removed', path: before.path, fields: [] };
  const fields = changedFields(before.data, after.data);
  if (before.path !== after.path) return { change: 'renamed', path: after.path, oldPath: before.path, fields };
  if (fields.length === 0) return undefined;
  return { change: 'modified', path: after.path, fields };
}

/** The commits of the main line (first parents from `rev`) that change the policy directory, oldest first. */
export async function mainLine(place: RepoPlace, rev = 'HEAD'): Promise<CommitInfo[]> {
  return (await logEntries(place, rev, true)).map((e) => e.info).reverse();
}

/**
 * Parses an ISO 8601 date or date-time into seconds since the epoch. A date alone means the
 * end of that day (UTC): "what ran on 2026-11-24" is what ran when that day closed.
 */
export function parseIsoDate(text: string): number | undefined {
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (dateOnly) {
    const ms = Date.UTC(Number(dateOnly[1]), Number(dateOnly[2]) - 1, Number(dateOnly[3]), 23, 59, 59);
    return new Date(ms).toISOString().startsWith(text) ? ms / 1000 : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}
