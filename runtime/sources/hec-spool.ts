/**
 * The receiver's durable queue. A request is answered with success only after its events are
 * committed to the `hec_spool` table, and a spooled batch is deleted only after the sink took it,
 * so an acknowledged event survives an agent restart (it is delivered again, at least once).
 * Requests arriving in the same event-loop turn share one transaction (group commit), which
 * also deletes the rows processed since the last one, so a busy receiver pays one commit per
 * turn; deletion is therefore a little behind processing, and a crash may deliver the last
 * ~100 ms of processed events again (at least once, never lost). The queue is bounded by event
 * count.
 */
import type { Store } from '../state/store.js';
import type { SourceEvent } from './log-format.js';

/** Events kept parsed in memory for the pump; the rest is read back from the table. */
const MEMORY_EVENTS = 5000;

/** How long processed rows may wait for deletion when no request arrives to carry it. */
const CLEANUP_MS = 100;

/** Longest time the pump works before letting the receiver answer requests. */
const SLICE_MS = 4;

/** One spooled batch as the pump hands it over. */
export interface SpooledBatch {
  readonly id: number;
  readonly source: string;
  readonly events: SourceEvent[];
}

interface Waiting {
  readonly source: string;
  readonly events: readonly SourceEvent[];
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
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
  private readonly memory = new Map<number, readonly SourceEvent[]>();
  private memoryEvents = 0;
  private readonly idle: (() => void)[] = [];

  constructor(store: Store, readonly capacity: number) {
    const db = store.db;
    this.insert = db.prepare('INSERT INTO hec_spool (source, count, events, received_at) VALUES (?, ?, ?, ?)');
    this.next = db.prepare<[number, number], { id: number; source: string }>('SELECT id, source FROM hec_spool WHERE id > ? ORDER BY id LIMIT ?');
    this.eventsOf = db.prepare<[number], string>('SELECT events FROM hec_spool WHERE id = ?').pluck();
    this.deleteUpTo = db.prepare('DELETE FROM hec_spool WHERE id <= ?');
    this.queued = (db.prepare('SELECT coalesce(sum(count), 0) FROM hec_spool').pluck().get() as number) ?? 0;
    this.commit = db.transaction((batch: readonly Waiting[]) => {
      // Processed rows are deleted in the same transaction as new ones are written: one commit per turn.
      this.deleteProcessed();
      const now = Date.now();
      for (const w of batch) {
        const { lastInsertRowid } = this.insert.run(w.source, w.events.length, JSON.stringify(w.events), now);
        // Keep the parsed events for the pump while they fit, so it need not parse them again.
        if (this.memoryEvents + w.events.length <= MEMORY_EVENTS) {
          this.memory.set(Number(lastInsertRowid), w.events);
          this.memoryEvents += w.events.length;
        }
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

  /** Spools events; resolves once they are committed. The caller checked `wouldOverflow` first. */
  accept(source: string, events: readonly SourceEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('spool closed'));
    this.queued += events.length;
    return new Promise((resolve, reject) => {
      this.waiting.push({ source, events, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    try {
      this.commit(batch);
      for (const w of batch) w.resolve();
      this.wake?.();
    } catch (error) {
      for (const w of batch) {
        this.queued -= w.events.length;
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
      const rows = this.next.all(after, 256);
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
        const batch = (cached ?? JSON.parse(this.eventsOf.get(row.id) as string)) as SourceEvent[];
        try {
          await take({ id: row.id, source: row.source, events: batch });
        } catch {
          failed = true;
          break;
        }
        done.push(row.id);
        events += batch.length;
        if (cached) {
          this.memory.delete(row.id);
          this.memoryEvents -= cached.length;
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
