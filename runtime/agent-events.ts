/**
 * The agent's event path: events from its sources (and `--events`) through the running bundle's
 * engine, alerts out through the bundle's actions (or printed), the engine's state checkpointed.
 * It reads what the control loop (runtime/agent.ts) decides, the running bundle and its sources
 * and actions, through the context, and never changes it; an engine error burst asks the loop
 * to revert.
 */
import { boundedLines, MAX_LINE_BYTES } from './sources/line-stream.js';
import type { Readable } from 'node:stream';
import type { BundleRecord, Prepared } from './activate.js';
import { summaryLine } from './actions/alert.js';
import { alertRecord } from './alert-routing.js';
import type { BundleIo } from './bundle-io.js';
import type { AnomalyAlert, CollectorBaseline } from './engine/anomaly.js';
import type { PolicyAlert } from './engine/policy-engine.js';
import type { SourcedEvent } from './sources/event-sink.js';
import type { Store } from './state/store.js';

/** The bundle the agent runs, and the engine errors seen since it was activated. */
export interface Running {
  prepared: Prepared;
  record: BundleRecord;
  errorsSince: number;
}

/** What the event path reads from the agent and asks of it. */
export interface EventContext {
  readonly host: string;
  /** The collector's anomaly baseline, asked before an anomaly the policy suppresses fleet-wide. */
  readonly collector?: CollectorBaseline & { isNew(alert: AnomalyAlert): Promise<boolean> };
  /** Prints an alert line when the bundle configures no action. */
  readonly print: (line: string) => void;
  readonly log: (line: string) => void;
  readonly recordError: (code: string, message: string) => void;
  readonly now: () => Date;
  /** This many engine errors within `probationMs` of an activation make the agent revert. */
  readonly burstErrors: number;
  readonly probationMs: number;
  running(): Running | undefined;
  io(): BundleIo | undefined;
  db(): Store | undefined;
  /** Resolves once a swap of sources and actions in progress has finished. */
  ioSettled(): Promise<void>;
  /** Resolves once a bundle runs or the agent stops. */
  active(): Promise<void>;
  stopped(): boolean;
  revert(why: string): Promise<void>;
}

/** The event path's entry points. */
export interface EventPath {
  /** Where every configured source delivers a batch. */
  sink(batch: readonly SourcedEvent[]): void;
  /** Saves the policy engine's watermark, so a restart resumes its windows exactly. */
  checkpoint(): void;
  /** Reads JSON Lines events from a stream until it ends or is destroyed (the agent's stop does). */
  consume(events: Readable): Promise<void>;
}

/** Builds the event path over the agent's context. */
export function createEventPath(ctx: EventContext): EventPath {
  let sourceIndex = 0;

  /** Sends an alert to the bundle's actions, or prints it when the bundle configures none. */
  const emit = (a: PolicyAlert, r: Running, event: unknown, source: string | undefined) => {
    // A tuple another host reported first is no anomaly for the fleet: ask the collector first.
    if (a.kind === 'anomaly' && a.policy.suppressOnCollector && ctx.collector) {
      void ctx.collector.isNew(a).then((isNew) => {
        if (isNew) deliver(a, r, event, source);
      });
      return;
    }
    deliver(a, r, event, source);
  };

  const deliver = (a: PolicyAlert, r: Running, event: unknown, source: string | undefined) => {
    const record = alertRecord(a, ctx.host, r.record.sha256, event, source);
    const io = ctx.io();
    if (io?.hasActions) {
      try {
        io.dispatch(record);
        return;
      } catch (error) {
        // The outbox could not take it (disk full): print it rather than lose it.
        ctx.recordError('VA2005', `alert not queued for the actions: ${(error as Error).message}`);
      }
    }
    ctx.print(summaryLine(record));
  };

  const processEvent = (event: unknown, index: number, source?: string) => {
    const r = ctx.running();
    if (!r) return;
    try {
      r.prepared.engine.process(event, index, (a) => emit(a, r, event, source));
    } catch (error) {
      ctx.recordError('VA2101', `the engine failed on event ${index}: ${(error as Error).message}`);
      r.errorsSince++;
      const inProbation = ctx.now().getTime() - Date.parse(r.record.activatedAt) <= ctx.probationMs;
      if (inProbation && r.errorsSince >= ctx.burstErrors) void ctx.revert(`${r.errorsSince} engine errors since activation`);
    }
  };

  const checkpoint = () => {
    try {
      ctx.running()?.prepared.engine.checkpoint();
    } catch (error) {
      ctx.recordError('VA2005', `policy state not saved: ${(error as Error).message}`);
    }
  };

  return {
    /**
     * Each batch is evaluated inside one transaction, so its policy state and queued alerts
     * commit together, and the source advances its offset, spool or checkpoint only after this
     * returns.
     */
    sink(batch) {
      const work = () => {
        for (const e of batch) processEvent(e.event, sourceIndex++, e.source);
      };
      // IMMEDIATE: the receiver thread writes the same database; a deferred transaction that reads
      // first could fail to upgrade to a write (SQLITE_BUSY) instead of waiting its turn.
      const db = ctx.db();
      if (db) db.db.transaction(work).immediate();
      else work();
    },
    checkpoint,
    async consume(events) {
      // Stopping the agent destroys `events`, which ends this loop.
      let index = 0;
      try {
        for await (const line of boundedLines(events)) {
          if (ctx.stopped()) break;
          const i = index++;
          if (line === null) {
            ctx.log(`agent: warning: event ${i} skipped: longer than ${MAX_LINE_BYTES} bytes`);
            continue;
          }
          if (line.trim() === '') continue;
          if (!ctx.running()) await ctx.active();
          if (ctx.stopped()) break;
          // While a swap starts the new bundle's actions, wait, so no alert goes to stdout instead.
          await ctx.ioSettled();
          let event: unknown;
          try {
            event = JSON.parse(line);
          } catch (error) {
            ctx.log(`agent: warning: event ${i} skipped: ${(error as Error).message}`);
            continue;
          }
          if (typeof event !== 'object' || event === null || Array.isArray(event)) {
            ctx.log(`agent: warning: event ${i} skipped: not a JSON object`);
            continue;
          }
          processEvent(event, i);
        }
        // No flush at the end of the input: windows stay open in the state, as more events may come after a restart.
        checkpoint();
      } catch (error) {
        // A stream destroyed by stop() ends early: that is no failure.
        if (!ctx.stopped()) ctx.recordError('VS4001', `the event source failed: ${(error as Error).message}`);
      }
    },
  };
}
