/**
 * Events an older agent spooled as rows of the state database's `hec_spool` table are moved into
 * the segment spool when a receiver starts, before it accepts anything: appended as records in a
 * new segment (after every existing one), synced to disk, and only then deleted from the table, so
 * a crash in between delivers them twice, never loses them. Row forms: a JSON array of events (the
 * first agents), or `\u0001v2\n` followed by entries `<kind>\t<key>\t<length>\n<text>` (`length` in
 * UTF-16 code units; kind `j` a JSON array of the events of LogSource `key`, kind `b` a request
 * body routed by `key`); a row that cannot be split is moved as it is stored, and the reading side
 * skips what it cannot decode.
 */
import type { Store } from '../../state/store.js';
import { recoverSpool } from './spool-recover.js';
import { SpoolWriter } from './spool-writer.js';
import type { RecordKind } from './spool-format.js';
import type { ProblemSink } from '../problems.js';

const V2 = '\u0001v2\n';

interface LegacyEntry {
  readonly kind: RecordKind;
  readonly key: string;
  readonly text: string;
}

/** Splits one stored row into its entries. */
function entries(source: string, text: string): LegacyEntry[] {
  if (!text.startsWith(V2)) return [{ kind: 'j', key: source, text }];
  const out: LegacyEntry[] = [];
  let i = V2.length;
  while (i < text.length) {
    const nl = text.indexOf('\n', i);
    if (nl < 0) break;
    const [kind, key, length] = text.slice(i, nl).split('\t');
    const n = Number(length);
    if ((kind !== 'j' && kind !== 'b') || key === undefined || !Number.isInteger(n) || n < 0) break;
    out.push({ kind, key, text: text.slice(nl + 1, nl + 1 + n) });
    i = nl + 1 + n;
  }
  return out;
}

/** Moves `hec_spool` rows into the spool in `dir`; returns how many events moved. */
export function importLegacyRows(store: Store, dir: string, report: ProblemSink): number {
  const rows = store.db.prepare<[], { id: number; source: string; count: number; events: string }>('SELECT id, source, count, events FROM hec_spool ORDER BY id').all();
  if (rows.length === 0) return 0;
  const writer = new SpoolWriter(dir, recoverSpool(dir, report).nextSegment);
  let moved = 0;
  try {
    for (const row of rows) {
      // The row's count goes with its first entry: the queue bound counts events per row.
      entries(row.source, row.events).forEach((e, i) => writer.append(e.kind, Buffer.from(e.key), i === 0 ? row.count : 0, Buffer.from(e.text)));
      moved += row.count;
    }
  } finally {
    writer.close();
  }
  store.db.prepare('DELETE FROM hec_spool WHERE id <= ?').run(rows[rows.length - 1]!.id);
  return moved;
}
