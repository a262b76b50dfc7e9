/**
 * The receiver's durable queue. A request is answered with success only after its events are
 * committed to the `hec_spool` table, and a spooled batch is deleted only after the sink took it,
 * so an acknowledged event survives an agent restart (it is delivered again, at least once).
 *
 * Cost is what shapes this file (bench/hec-bench.ts): requests arriving in the same event-loop
 * turn share one transaction and ONE row (group commit), since SQLite's per-row and per-commit
 * costs dominate small requests; that transaction also deletes the rows processed since the last
 * one, so deletion is a little behind processing and a crash may deliver the last ~100 ms of
 * processed events again (at least once, never lost). A request is stored as the body the sender
 * posted (plus how to route it), not re-serialised; the rows' text stays in memory for the pump,
 * which hands it over whole (`pumpRows`, one string across a thread boundary is cheap) to be
 * parsed where the events are evaluated (`decodeRow` with `revive`). The queue is bounded by
 * event count.
 *
 * Row format (`events` column): a JSON array of events (rows of older agents), or `\u0001v2\n`
 * followed by entries `<kind>\t<key>\t<length>\n<text>`: kind `j`: text is a JSON array of the
 * events of LogSource `key`; kind `b`: text is a request body, turned back into events by
 * `revive(key, text)`.
 */
import type Database from 'better-sqlite3';
import type { Store } from '../state/store.js';
import type { SourceEvent } from './log-format.js';

/** Events whose row text is kept in memory for the pump; the rest is read back from the table. */
const MEMORY_EVENTS = 5000;

/** How long processed rows may wait for deletion when no request arrives to carry it. */
const CLEANUP_MS = 100;

/** Characters of request text one row takes before the rest of a turn's requests start another. */
const ROW_CHARS = 1 << 20;

const V2 = '\u0001v2\n';

/** One spooled batch as the pump hands it over. */
export interface SpooledBatch {
  readonly id: number;
  readonly source: string;
  readonly events: SourceEvent[];
}

/** The events of one LogSource within a request. */
export interface SpoolGroup {
  readonly source: string;
  readonly events: SourceEvent[];
}

/** Turns a stored request body back into its events; `key` is what `acceptBody` was given. */
export type Revive = (key: string, body: string) => SpoolGroup[];

/** One stored row as `pumpRows` hands it over. */
export interface SpooledRow {
  readonly id: number;
  /** The source of its first group (the only one for rows of older agents). */
  readonly source: string;
  readonly count: number;
  readonly text: string;
}

interface Waiting {
  /** `j`: `text` is a JSON array of the events of LogSource `key`; `b`: `text` is a request body. */
  readonly kind: 'j' | 'b';
  readonly key: string;
  readonly text: string;
  readonly source: string;
  readonly count: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** Appends groups to a row's list, merging consecutive groups of the same source. */
function pushGroups(into: SpoolGroup[], groups: readonly SpoolGroup[]): void {
  for (const g of groups) {
    const last = into[into.length - 1];
    if (last && last.source === g.source) for (const e of g.events) last.events.push(e);
    else into.push({ source: g.source, events: [...g.events] });
  }
}

/** Decodes a row; a row that cannot be decoded (damaged storage) gives nothing, so it is skipped instead of blocking the queue forever. */
export function decodeRowSafely(row: SpooledRow, revive: Revive | undefined): SpoolGroup[] {
  try {
    return decodeRow(row.source, row.text, revive);
  } catch {
    return [];
  }
}

/** Decodes a stored row into its groups, in order. */
export function decodeRow(source: string, text: string, revive: Revive | undefined): SpoolGroup[] {
  if (!text.startsWith(V2)) return [{ source, events: JSON.parse(text) as SourceEvent[] }];
  const out: SpoolGroup[] = [];
  let i = V2.length;
  while (i < text.length) {
    const nl = text.indexOf('\n', i);
    const [kind, key, length] = text.slice(i, nl).split('\t') as [string, string, string];
    const body = text.slice(nl + 1, nl + 1 + Number(length));
    i = nl + 1 + Number(length);
    if (kind === 'j') pushGroups(out, [{ source: key, events: JSON.parse(body) as SourceEvent[] }]);
    else if (revive) pushGroups(out, revive(key, body));
  }
  return out;
}

/** The durable, bounded event queue of one receiver. */
export class HecSpool {
  /** Events accepted (committed or being committed) and not yet processed. */
  private queued: number;
  private waiting: Waiting[] = [];
  private flushScheduled = false;
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly insert;
  private readonly next;
  private readonly deleteUpTo;
  /** Highest row id the sink has taken, and the highest deleted so far. */
  private processedUpTo = 0;
  private deletedUpTo = 0;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private readonly eventsOf;
  /** Parsed events of recently committed rows, by row id (a cache; the table is the truth). */
  private readonly memory = new Map<number, SpooledRow>();
  /** Some unprocessed rows exist only in the table (from before a restart, or past MEMORY_EVENTS): the pump must query it. */
  private tableOnly: boolean;
  private memoryEvents = 0;
  private readonly idle: (() => void)[] = [];

  constructor(store: Store, readonly capacity: number, private readonly revive?: Revive) {
    const db = store.db;
    this.insert = db.prepare('INSERT INTO hec_spool (source, count, events, received_at) VALUES (?, ?, ?, ?)');
    this.next = db.prepare<[number, number], { id: number; source: string; count: number }>('SELECT id, source, count FROM hec_spool WHERE id > ? ORDER BY id LIMIT ?');
    this.eventsOf = db.prepare<[number], string>('SELECT events FROM hec_spool WHERE id = ?').pluck();
    this.deleteUpTo = db.prepare('DELETE FROM hec_spool WHERE id <= ?');
    this.queued = (db.prepare('SELECT coalesce(sum(count), 0) FROM hec_spool').pluck().get() as number) ?? 0;
    this.tableOnly = (db.prepare('SELECT count(*) FROM hec_spool').pluck().get() as number) > 0;
    this.commit = db.transaction((batch: readonly Waiting[]) => {
      // Processed rows are deleted in the same transaction as new ones are written: one commit per turn.
      this.deleteProcessed();
      const now = Date.now();
      let start = 0;
      while (start < batch.length) {
        // One row for the turn's requests (split only when very large): SQLite's cost is per row and per commit.
        let end = start;
        let chars = 0;
        const parts: string[] = [V2];
        let count = 0;
        while (end < batch.length && (end === start || chars < ROW_CHARS)) {
          const w = batch[end++]!;
          parts.push(`${w.kind}\t${w.key}\t${w.text.length}\n`, w.text);
          chars += w.text.length;
          count += w.count;
        }
        const text = parts.join('');
        const source = batch[start]!.source;
        const { lastInsertRowid } = this.insert.run(source, count, text, now);
        // Keep the row's text for the pump while it fits, so it need not read it back.
        if (this.memoryEvents + count <= MEMORY_EVENTS) {
          const id = Number(lastInsertRowid);
          this.memory.set(id, { id, source, count, text });
          this.memoryEvents += count;
        } else this.tableOnly = true;
        start = end;
      }
    });
  }

  private readonly commit: Database.Transaction<(batch: readonly Waiting[]) => void>;

  private deleteProcessed(): void {
    if (this.processedUpTo > this.deletedUpTo) {
      this.deleteUpTo.run(this.processedUpTo);
      this.deletedUpTo = this.processedUpTo;
    }
  }

  /** Deletes processed rows soon when no new request comes to carry the delete (at most CLEANUP_MS of rows may be delivered again after a crash). */
  private scheduleCleanup(): void {
    if (this.cleanupTimer) return;
    this.cleanupTimer = setTimeout(() => {
      this.cleanupTimer = undefined;
      this.deleteProcessed();
    }, CLEANUP_MS);
    this.cleanupTimer.unref();
  }

  /** Resolves once every accepted event has been taken (immediately when none is waiting). */
  whenEmpty(): Promise<void> {
    return this.queued === 0 ? Promise.resolve() : new Promise((r) => this.idle.push(r));
  }

  /** Events accepted and not yet processed. */
  get size(): number {
    return this.queued;
  }

  /** True when `n` more events would not fit. */
  wouldOverflow(n: number): boolean {
    return this.queued + n > this.capacity;
  }

  /** Spools events of one LogSource; resolves once they are committed. The caller checked `wouldOverflow` first. */
  accept(source: string, events: readonly SourceEvent[]): Promise<void> {
    return this.enqueue('j', source, JSON.stringify(events), source, events.length);
  }

  /**
   * Spools a request as the body the sender posted, holding `count` events of which `source` has
   * the first; `revive(key, body)` gives the events back. Resolves once committed.
   */
  acceptBody(key: string, body: string, source: string, count: number): Promise<void> {
    return this.enqueue('b', key, body, source, count);
  }

  private enqueue(kind: 'j' | 'b', key: string, text: string, source: string, count: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('spool closed'));
    if (key.includes('\t') || key.includes('\n')) return Promise.reject(new Error('spool keys have no tabs or newlines'));
    this.queued += count;
    return new Promise((resolve, reject) => {
      this.waiting.push({ kind, key, text, source, count, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    try {
      // IMMEDIATE: the agent's main thread writes the same database through its own connection.
      this.commit.immediate(batch);
      for (const w of batch) w.resolve();
      this.wake?.();
    } catch (error) {
      for (const w of batch) {
        this.queued -= w.count;
        w.reject(error as Error);
      }
    }
  }

  /** Hands spooled batches (one per LogSource of each row) to `take`, decoding rows with `revive`; see `pumpRows`. */
  pump(take: (batch: SpooledBatch) => void | Promise<void>, signal: AbortSignal): Promise<void> {
    return this.pumpRows(async (row) => {
      for (const g of decodeRowSafely(row, this.revive)) if (g.events.length > 0) await take({ id: row.id, source: g.source, events: g.events });
    }, signal);
  }

  /**
   * Hands spooled rows to `take` in order until `signal` aborts; a row is deleted once `take`
   * resolved for it and for every row before it. With `window` > 1, that many rows are offered
   * before waiting (for a taker on another thread, so a round trip per row does not bound the rate).
   */
  async pumpRows(take: (row: SpooledRow) => void | Promise<void>, signal: AbortSignal, window = 1): Promise<void> {
    let after = 0;
    const onAbort = () => this.wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    while (!signal.aborted) {
      // While every unprocessed row is cached, the cache (in id order) is the queue: no query per turn.
      const rows = this.tableOnly ? this.next.all(after, 256) : this.cachedRows(after);
      if (rows.length === 0 && this.tableOnly) {
        this.tableOnly = false;
        continue;
      }
      if (rows.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const done: number[] = [];
      let events = 0;
      let failed = false;
      // Up to `window` rows are offered at once (another thread takes them); they count as done in order, up to the first failure.
      const offered = rows.slice(0, Math.max(1, window));
      const results = await Promise.allSettled(offered.map((row) => {
        const text = this.memory.get(row.id)?.text ?? (this.eventsOf.get(row.id) as string | undefined) ?? '';
        return Promise.resolve().then(() => take({ id: row.id, source: row.source, count: row.count, text }));
      }));
      for (const [i, row] of offered.entries()) {
        if (results[i]!.status === 'rejected') {
          failed = true;
          break;
        }
        done.push(row.id);
        events += row.count;
        const cached = this.memory.get(row.id);
        if (cached) {
          this.memory.delete(row.id);
          this.memoryEvents -= row.count;
        }
      }
      if (done.length) {
        this.processedUpTo = done[done.length - 1]!;
        this.scheduleCleanup();
        this.queued -= events;
        if (this.queued === 0) this.idle.splice(0).forEach((f) => f());
        after = done[done.length - 1]!;
      }
      // A failed sink keeps its batch and is tried again shortly, never skipping past it.
      if (failed) await new Promise((r) => setTimeout(r, 200));
      else await new Promise<void>((r) => setImmediate(r));
    }
    signal.removeEventListener('abort', onAbort);
  }

  /** Cached rows after `after`, in id order (Map order is insertion order, which is id order). */
  private cachedRows(after: number): { id: number; source: string; count: number }[] {
    const out: { id: number; source: string; count: number }[] = [];
    for (const [id, row] of this.memory) {
      if (id <= after) continue;
      out.push({ id, source: row.source, count: row.count });
      if (out.length >= 256) break;
    }
    return out;
  }

  /** Commits anything waiting and refuses new events. */
  close(): void {
    this.flush();
    if (this.cleanupTimer) clearTimeout(this.cleanupTimer);
    this.cleanupTimer = undefined;
    this.deleteProcessed();
    this.closed = true;
    this.wake?.();
    this.idle.splice(0).forEach((f) => f());
  }
}
