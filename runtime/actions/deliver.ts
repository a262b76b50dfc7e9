/**
 * The outbox: alerts waiting for their actions, persisted in the agent's state so delivery is
 * at least once. An alert leaves the outbox only when its action delivered it; a failed delivery
 * is tried again after a bounded exponential backoff, for as long as it stays in the outbox. The
 * outbox is bounded: when full, the oldest alert is dropped (reported), so a dead endpoint can
 * never fill the disk.
 */
import type { Store } from '../state/store.js';
import { ignoreProblems, problem, type ProblemSink } from '../sources/problems.js';
import type { AlertRecord, Deliver } from './alert-record.js';
import { backoffMs, type Backoff } from './retry.js';

/** Outbox settings. */
export interface OutboxOptions {
  /** Alerts kept at most (all actions together). */
  readonly maxItems?: number;
  readonly backoff?: Backoff;
  /** Deliveries of one action running at once. */
  readonly concurrency?: number;
  readonly report?: ProblemSink;
}

interface Row {
  readonly id: number;
  readonly action: string;
  readonly payload: string;
  readonly attempts: number;
}

/** The persisted, bounded alert outbox. */
export class Outbox {
  private readonly maxItems: number;
  private readonly backoff: Backoff;
  private readonly report: ProblemSink;
  private wake: (() => void) | undefined;
  private readonly stmts;

  constructor(store: Store, private readonly deliverers: ReadonlyMap<string, Deliver>, options: OutboxOptions = {}) {
    this.maxItems = options.maxItems ?? 10_000;
    this.backoff = options.backoff ?? { baseMs: 1000, maxMs: 5 * 60_000 };
    this.report = options.report ?? ignoreProblems;
    const db = store.db;
    this.stmts = {
      insert: db.prepare('INSERT INTO outbox (action, payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?)'),
      count: db.prepare('SELECT count(*) FROM outbox').pluck(),
      oldest: db.prepare<[], { id: number; action: string }>('SELECT id, action FROM outbox ORDER BY id LIMIT 1'),
      due: db.prepare<[number, number], Row>('SELECT id, action, payload, attempts FROM outbox WHERE next_attempt_at <= ? ORDER BY id LIMIT ?'),
      nextDue: db.prepare('SELECT min(next_attempt_at) FROM outbox').pluck(),
      remove: db.prepare('DELETE FROM outbox WHERE id = ?'),
      fail: db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?'),
    };
  }

  /** Alerts waiting. */
  size(): number {
    return this.stmts.count.get() as number;
  }

  /** Queues an alert for an action (persisted before it returns). */
  enqueue(action: string, alert: AlertRecord): void {
    const now = Date.now();
    while ((this.stmts.count.get() as number) >= this.maxItems) {
      const oldest = this.stmts.oldest.get();
      if (!oldest) break;
      this.stmts.remove.run(oldest.id);
      this.report(problem('VS2002', oldest.action, { limit: this.maxItems, action: oldest.action }));
    }
    this.stmts.insert.run(action, JSON.stringify(alert), now, now);
    this.wake?.();
  }

  /**
   * Tries the alerts that are due, once each; returns how many were delivered and how many failed.
   * An action that fails one alert waits for its next pass for the rest (its endpoint is likely
   * down, and each try may take its whole timeout); once `signal` aborts, no further alert starts.
   * Throws when the state database cannot be written, after every action stopped.
   */
  async runOnce(limit = 500, signal?: AbortSignal): Promise<{ delivered: number; failed: number }> {
    const rows = this.stmts.due.all(Date.now(), limit);
    let delivered = 0;
    let failed = 0;
    let storeError: unknown;
    // Alerts of one action go in order; different actions do not wait for each other.
    const byAction = new Map<string, Row[]>();
    for (const r of rows) (byAction.get(r.action) ?? byAction.set(r.action, []).get(r.action)!).push(r);
    await Promise.all(
      [...byAction].map(async ([action, list]) => {
        const deliver = this.deliverers.get(action);
        for (const row of list) {
          if (signal?.aborted || storeError !== undefined) return;
          let failure: Error | undefined;
          try {
            if (!deliver) throw new Error('no such action is configured');
            await deliver(JSON.parse(row.payload) as AlertRecord, signal);
          } catch (error) {
            failure = error instanceof Error ? error : new Error(String(error));
          }
          try {
            if (!failure) {
              this.stmts.remove.run(row.id);
              delivered++;
              continue;
            }
            failed++;
            const detail = failure.message.slice(0, 300);
            this.stmts.fail.run(Date.now() + backoffMs(row.attempts, this.backoff), detail, row.id);
            this.report(problem('VS2001', action, { action, id: row.id, attempt: row.attempts + 1, detail }));
          } catch (error) {
            storeError ??= error;
          }
          return;
        }
      }),
    );
    if (storeError !== undefined) throw storeError;
    return { delivered, failed };
  }

  /** Delivers until the signal aborts: runs when alerts are due or new ones arrive; a state database error is reported and retried, never ends the loop. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let wait: number;
      try {
        await this.runOnce(500, signal);
        const next = this.stmts.nextDue.get() as number | null;
        wait = next === null ? 60_000 : Math.max(0, Math.min(60_000, next - Date.now()));
      } catch (error) {
        this.report(problem('VS2004', 'outbox', { detail: (error as Error).message.slice(0, 300) }));
        wait = this.backoff.baseMs;
      }
      // Until something is due, a new alert arrives or the signal aborts; whichever comes first
      // clears the others (a listener per wait would pile up on the long-lived signal).
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, wait);
        signal.addEventListener('abort', done, { once: true });
        this.wake = done;
      });
    }
  }
}
