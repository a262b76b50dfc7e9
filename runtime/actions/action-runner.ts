/**
 * The actions of a bundle, ready for the agent: one deliverer per Action (a misconfigured one is
 * reported and left out, never crashing the agent), each Action's minLevel/throttle filter, and
 * the persisted outbox that delivers in the background. The agent calls `dispatch(alert)` for
 * every alert; the alert is queued durably for each action that takes it.
 */
import type { Action } from '../../schema/generated/action.js';
import type { Store } from '../state/store.js';
import { ignoreProblems, problem, type ProblemSink } from '../sources/problems.js';
import { createDeliverer, type ActionDeps } from './action.js';
import type { AlertRecord, Deliver } from './alert-record.js';
import { Outbox, type OutboxOptions } from './deliver.js';
import { actionFilter } from './filter.js';

/** Running actions. */
export interface ActionRunner {
  /** Queues the alert for every action (or only those named in `to`) whose filter takes it; returns the names of those actions. */
  dispatch(alert: AlertRecord, to?: readonly string[]): string[];

  readonly outbox: Outbox;
  /** Stops the delivery loop, then delivers what is due for at most `drainMs` (what is left stays in the outbox for the next start). */
  close(drainMs?: number): Promise<void>;
}

/** Builds the deliverers and starts delivering from the outbox. */
export function startActions(actions: readonly Action[], deps: ActionDeps, store: Store, options: OutboxOptions = {}): ActionRunner {
  const report: ProblemSink = options.report ?? ignoreProblems;
  const deliverers = new Map<string, Deliver>();
  const filters: { name: string; accepts: ReturnType<typeof actionFilter> }[] = [];
  for (const action of actions) {
    const name = action.metadata.name;
    try {
      deliverers.set(name, createDeliverer(action, deps));
      filters.push({ name, accepts: actionFilter(action.spec) });
    } catch (error) {
      report(problem('VS2003', name, { action: name, detail: (error as Error).message }));
    }
  }
  const outbox = new Outbox(store, deliverers, options);
  const abort = new AbortController();
  const running = outbox.run(abort.signal);
  return {
    outbox,
    dispatch(alert, to) {
      const now = Date.now();
      const taken = filters.filter((f) => (!to || to.includes(f.name)) && f.accepts(alert, now)).map((f) => f.name);
      for (const name of taken) outbox.enqueue(name, alert);
      return taken;
    },
    async close(drainMs = 0) {
      abort.abort();
      await running;
      // The loop has stopped, so these last attempts cannot race it for the same rows. At the
      // deadline no new delivery starts, and the one in flight is awaited (its own timeout bounds
      // it): a runner that starts next (a bundle swap) must never deliver the same rows at once.
      const drain = new AbortController();
      const timer = setTimeout(() => drain.abort(), drainMs);
      try {
        while (!drain.signal.aborted) {
          const { delivered } = await outbox.runOnce(500, drain.signal);
          if (delivered === 0) return;
        }
      } catch {
        // The state database failed: what is left stays in the outbox for the next start.
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
