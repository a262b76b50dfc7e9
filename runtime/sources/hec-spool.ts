/**
 * The receiver's durable queue. A request is answered with success only after its events are
 * committed to the `hec_spool` table, and a spooled batch is deleted only after the sink took it,
 * so an acknowledged event survives an agent restart (it is delivered again, at least once).
 * Requests arriving in the same event-loop turn share one transaction (group commit), which
 * keeps the cost per request low under load. The queue is bounded by event count.
 */
import type { Store } from '../state/store.js';
import type { SourceEvent } from './log-format.js';

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
  private readonly remove;

  constructor(store: Store, readonly capacity: number) {
    const db = store.db;
    this.insert = db.prepare('INSERT INTO hec_spool (source, count, events, received_at) VALUES (?, ?, ?, ?)');
    this.next = db.prepare<[number], { id: number; source: string; events: string }>('SELECT id, source, events FROM hec_spool WHERE id > ? ORDER BY id LIMIT 1');
    this.remove = db.prepare('DELETE FROM hec_spool WHERE id = ?');
    this.queued = (db.prepare('SELECT coalesce(sum(count), 0) FROM hec_spool').pluck().get() as number) ?? 0;
    this.commit = db.transaction((batch: readonly Waiting[]) => {
      const now = Date.now();
      for (const w of batch) this.insert.run(w.source, w.events.length, JSON.stringify(w.events), now);
    });
  }

  private readonly commit: (batch: readonly Waiting[]) => void;

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

  /** Hands spooled batches to `take` in order until `signal` aborts; a batch is deleted after `take` resolves. */
  async pump(take: (batch: SpooledBatch) => void | Promise<void>, signal: AbortSignal): Promise<void> {
    let after = 0;
    while (!signal.aborted) {
      const row = this.next.get(after);
      if (!row) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
        this.wake = undefined;
        continue;
      }
      const events = JSON.parse(row.events) as SourceEvent[];
      try {
        await take({ id: row.id, source: row.source, events });
      } catch {
        // The sink failed: keep the batch and try it again shortly, never skipping past it.
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      this.remove.run(row.id);
      this.queued -= events.length;
      after = row.id;
      // Let the receiver answer requests between batches.
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Commits anything waiting and refuses new events. */
  close(): void {
    this.flush();
    this.closed = true;
    this.wake?.();
  }
}
