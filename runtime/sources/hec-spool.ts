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
 * posted (plus how to route it), not re-serialised, and the parsed events stay in memory for the
 * pump; only after a restart are stored bodies parsed again (`revive`). The queue is bounded by
 * event count.
 *
 * Row format (`events` column): a JSON array of events (rows of older agents), or `\u0001v2\n`
 * followed by entries `<kind>\t<key>\t<length>\n<text>`: kind `j`: text is a JSON array of the
 * events of LogSource `key`; kind `b`: text is a request body, turned back into events by
 * `revive(key, text)`.
 */
import type { Store } from '../state/store.js';
import type { SourceEvent } from './log-format.js';

/** Events kept parsed in memory for the pump; the rest is read back from the table. */
const MEMORY_EVENTS = 5000;

/** How long processed rows may wait for deletion when no request arrives to carry it. */
const CLEANUP_MS = 100;

/** Longest time the pump works before letting the receiver answer requests. */
const SLICE_MS = 4;

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

/** Turns a stored request body back into its events (after a restart); `key` is what `acceptBody` was given. */
export type Revive = (key: string, body: string) => SpoolGroup[];

interface Waiting {
  /** `j`: `text` is unused until commit (events serialised then); `b`: `text` is the request body. */
  readonly kind: 'j' | 'b';
  readonly key: string;
  readonly text: string;
  readonly groups: readonly SpoolGroup[];
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
  private readonly memory = new Map<number, { readonly groups: readonly SpoolGroup[]; readonly count: number }>();
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
        const groups: SpoolGroup[] = [];
        let count = 0;
        while (end < batch.length && (end === start || chars < ROW_CHARS)) {
          const w = batch[end++]!;
          const text = w.kind === 'j' ? JSON.stringify(w.groups[0]!.events) : w.text;
          parts.push(`${w.kind}\t${w.key}\t${text.length}\n`, text);
          chars += text.length;
          pushGroups(groups, w.groups);
          count += w.count;
        }
        const { lastInsertRowid } = this.insert.run(groups[0]?.source ?? '', count, parts.join(''), now);
        // Keep the parsed events for the pump while they fit, so it need not parse them again.
        if (this.memoryEvents + count <= MEMORY_EVENTS) {
          this.memory.set(Number(lastInsertRowid), { groups, count });
          this.memoryEvents += count;
        } else this.tableOnly = true;
        start = end;
      }
    });
  }

  private readonly commit: (batch: readonly Waiting[]) => void;

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
    return this.enqueue('j', source, '', [{ source, events: [...events] }], events.length);
  }

  /**
   * Spools a request as the body the sender posted, with the events already parsed from it;
   * `revive(key, body)` must give the same events again after a restart. Resolves once committed.
   */
  acceptBody(key: string, body: string, groups: readonly SpoolGroup[]): Promise<void> {
    let count = 0;
    for (const g of groups) count += g.events.length;
    return this.enqueue('b', key, body, groups, count);
  }

  private enqueue(kind: 'j' | 'b', key: string, text: string, groups: readonly SpoolGroup[], count: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('spool closed'));
    if (key.includes('\t') || key.includes('\n')) return Promise.reject(new Error('spool keys have no tabs or newlines'));
    this.queued += count;
    return new Promise((resolve, reject) => {
      this.waiting.push({ kind, key, text, groups, count, resolve, reject });
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
      this.commit(batch);
      for (const w of batch) w.resolve();
      this.wake?.();
    } catch (error) {
      for (const w of batch) {
        this.queued -= w.count;
        w.reject(error as Error);
      }
    }
  }

  /**
   * Hands spooled batches to `take` in order until `signal` aborts; batches are deleted once
   * `take` resolved. Batches are taken in slices of up to SLICE_MS before yielding to the event
   * loop, so under load the pump keeps pace with intake instead of taking one batch per turn.
   */
  async pump(take: (batch: SpooledBatch) => void | Promise<void>, signal: AbortSignal): Promise<void> {
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
      const started = performance.now();
      const done: number[] = [];
      let events = 0;
      let failed = false;
      for (const row of rows) {
        const cached = this.memory.get(row.id);
        let groups: readonly SpoolGroup[];
        try {
          groups = cached?.groups ?? decodeRow(row.source, this.eventsOf.get(row.id) as string, this.revive);
        } catch {
          // A row that cannot be read back (damaged storage) is skipped rather than blocking the queue forever.
          groups = [];
        }
        try {
          for (const g of groups) if (g.events.length > 0) await take({ id: row.id, source: g.source, events: g.events });
        } catch {
          failed = true;
          break;
        }
        done.push(row.id);
        events += row.count;
        if (cached) {
          this.memory.delete(row.id);
          this.memoryEvents -= row.count;
        }
        if (performance.now() - started > SLICE_MS || signal.aborted) break;
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
      out.push({ id, source: '', count: row.count });
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
