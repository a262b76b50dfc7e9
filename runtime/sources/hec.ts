/**
 * The HTTP receiver, compatible with Splunk's HTTP Event Collector so firewalls and log shippers
 * that speak HEC (Palo Alto, Fortinet, SonicWall, Vector, Fluent Bit, …) can post to the agent:
 *   POST /services/collector/event[/1.0]   concatenated JSON envelopes
 *   POST /services/collector[/1.0]         the same
 *   POST /services/collector/raw[/1.0]     lines per the LogSource's LogFormat (CSV, JSON Lines, …)
 *   POST /services/collector/<source>      raw lines for the LogSource named <source>
 *   GET  /services/collector/health[/1.0]  200 healthy, 503 when the queue is full
 * `?source=<LogSource>` selects the LogSource (default: the first one served). Every request
 * but health needs `Authorization: Splunk <token>`, compared in constant time. Bodies are
 * bounded before and after gzip, slow senders time out, and a full queue answers 503 with
 * Retry-After; accepted events are spooled durably before the 200.
 *
 * Durability: the spool is a set of append-only segment files in `<state dir>/hec-spool/`
 * (spool/spool-format.ts). A request is answered with success only after its record was written
 * (`write(2)` returned): the record is then in the operating system's page cache and survives the
 * agent process being killed (SIGKILL, a crash, a restart), the guarantee "never lost across an
 * agent restart" asks for. Records are not fsync'ed per request, so a power loss or kernel crash
 * may drop the last ones written; checksums make recovery cut such a torn tail off rather than
 * read it (spool/spool-recover.ts). Delivery is at least once: the read offset is saved within
 * ~100 ms after the sink took the records, so a crash may deliver those again.
 *
 * The HTTP side and the spool's writing end run in a worker thread (hec-worker.ts, hec-http.ts);
 * this file is the agent's side: it starts the worker, reads the records back from the segment
 * files (spool/spool-reader.ts), parses them where the sink (the engine) runs (hec-routing.ts) and
 * hands them to the sink in order, one batch at a time, retrying a batch the sink failed on.
 */
import { isAscii } from 'node:buffer';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { LogFormat } from '../../schema/generated/log-format.js';
import type { LogSource } from '../../schema/generated/log-source.js';
import type { Store } from '../state/store.js';
import type { EventSink, SourcedEvent } from './event-sink.js';
import { buildRouting, reviver } from './hec-routing.js';
import type { SourceEvent } from './log-format.js';
import { ignoreProblems, problem, type Problem, type ProblemSink } from './problems.js';
import { importLegacyRows } from './spool/legacy-rows.js';
import type { SpoolPosition, SpoolRecord } from './spool/spool-format.js';
import { SpoolReader } from './spool/spool-reader.js';
import { lowerThreadPriority } from './thread-priority.js';

/** A LogSource the receiver serves, with its LogFormat. */
export interface HecSourceConfig {
  readonly source: LogSource;
  readonly format?: LogFormat;
}

/** Receiver settings with secrets already resolved (see hec-config.ts). */
export interface HecConfig {
  readonly port: number;
  readonly bind?: string;
  /** Accepted tokens (resolved secret values). */
  readonly tokens: readonly string[];
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly maxBodyBytes?: number;
  /** Events the durable queue holds before senders get 503. */
  readonly queueSize?: number;
  readonly sources: readonly HecSourceConfig[];
  /** A request body must arrive within this time (slow senders get 408). */
  readonly bodyTimeoutMs?: number;
  /** Requests read at the same time; more get 503 (bounds memory to about this × maxBodyBytes). */
  readonly maxConcurrentRequests?: number;
  /** Seconds a sender is told to wait after a 503. */
  readonly retryAfterSeconds?: number;
  /** Open connections at most; more are refused by the OS backlog (default 1024). */
  readonly maxConnections?: number;
  /** Niceness given to the calling (evaluating) thread once the receiver's thread runs (Linux; thread-priority.ts); unset leaves it alone. */
  readonly evaluationNice?: number;
}

/** A running receiver. */
export interface HecReceiver {
  readonly port: number;
  readonly url: string;
  /** Events accepted and not yet processed by the sink. */
  queued(): number;
  /** Resolves once every accepted event has been handed to the sink. */
  drained(): Promise<void>;
  /** Stops accepting, waits for requests in progress and (up to 5 s) the batch being processed; spooled events stay for the next start. */
  close(): Promise<void>;
}

/** What the worker thread starts from. */
export interface HecWorkerData {
  readonly config: HecConfig;
  /** The spool directory (`hec-spool` in the agent's state directory). */
  readonly dir: string;
  /** One Int32: events accepted and not yet taken by the sink (the worker adds, the main thread subtracts). */
  readonly queued: SharedArrayBuffer;
}

/** Messages from the worker. */
export type ToMain =
  | { readonly t: 'ready'; readonly port: number; readonly start: SpoolPosition; readonly ends: readonly (readonly [number, number])[] }
  | { readonly t: 'failed'; readonly message: string }
  | { readonly t: 'written'; readonly ends: readonly (readonly [number, number])[] }
  | { readonly t: 'problem'; readonly problem: Problem }
  | { readonly t: 'closed' };

/** Messages to the worker. */
export type ToWorker = { readonly t: 'close' };

/** Events handed to the sink at once at most (one transaction in the agent). */
const BATCH_EVENTS = 512;

/** The evaluating thread yields to its other work after this long in the spool. */
const TURN_MS = 20;

/** Starts the worker: the built hec-worker.js next to this module (tsc output) or next to its chunk (the CLI bundle, dist/cli/), or (tests running the TypeScript sources) the .ts through tsx. */
function spawnWorker(data: HecWorkerData): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const url = new URL('./hec-worker.ts', here).href;
    return new Worker(`import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(url)}); })`, { eval: true, workerData: data });
  }
  return new Worker(new URL('./hec-worker.js', here), { workerData: data });
}

/** Starts the receiver; events go to the durable spool and from there to `sink`. Rejects when it cannot listen. */
export async function startHecReceiver(config: HecConfig, sink: EventSink, store: Store, report: ProblemSink = ignoreProblems): Promise<HecReceiver> {
  // Built here too (checking the sources before a thread starts): records are parsed on this thread.
  const routing = buildRouting(config.sources);
  const revive = reviver(routing, report);
  const tags = new Map([...routing.served].map(([name, s]) => [name, { source: name, ...(s.source.spec.logsource ? { logsource: s.source.spec.logsource } : {}) }]));
  const dir = path.join(path.dirname(store.path), 'hec-spool');
  // Rows an older agent left in the state database go first, before anything new is accepted.
  importLegacyRows(store, dir, report);
  const shared = new SharedArrayBuffer(4);
  const queued = new Int32Array(shared);
  const worker = spawnWorker({ config, dir, queued: shared });
  let reader: SpoolReader | undefined;
  let drains: (() => void)[] = [];
  let closedResolve: (() => void) | undefined;
  let exited = false;
  let stopping = false;
  const settleDrains = () => {
    if (Atomics.load(queued, 0) > 0 && !exited) return;
    const waiting = drains;
    drains = [];
    for (const f of waiting) f();
  };

  /** Turns records into sink batches: consecutive events of one LogSource together, up to BATCH_EVENTS. */
  const toBatches = (records: readonly SpoolRecord[]): SourcedEvent[][] => {
    const batches: SourcedEvent[][] = [];
    let current: SourcedEvent[] = [];
    let currentSource: string | undefined;
    for (const r of records) {
      let groups: { source: string; events: SourceEvent[] }[];
      try {
        // Most bodies are ASCII: copied as Latin-1 then, which skips UTF-8 decoding and gives the same text.
        const text = isAscii(r.payload) ? r.payload.toString('latin1') : r.payload.toString('utf8');
        groups = r.kind === 'j' ? [{ source: r.key, events: JSON.parse(text) as SourceEvent[] }] : revive(r.key, text);
      } catch (error) {
        // Events that cannot be decoded are kept as text by the reviver, so this is a record an
        // older agent stored: skipped (and said so) instead of blocking the queue behind it.
        report(problem('VS1012', 'http-receiver', { file: dir, detail: `a record of ${r.count} event(s) cannot be decoded (${error instanceof Error ? error.name : 'error'}); skipped` }));
        continue;
      }
      for (const g of groups) {
        const logsource = tags.get(g.source)?.logsource;
        for (const event of g.events) {
          if (g.source !== currentSource || current.length >= BATCH_EVENTS) {
            if (current.length > 0) batches.push(current);
            current = [];
            currentSource = g.source;
          }
          current.push(logsource ? { source: g.source, logsource, event } : { source: g.source, event });
        }
      }
    }
    if (current.length > 0) batches.push(current);
    return batches;
  };

  // One pump at a time reads the spool in order; a batch the sink failed on is offered again after
  // a pause, and nothing behind it is offered before it succeeded.
  let pumping: Promise<void> | undefined;
  const pumpOnce = async () => {
    let turn = performance.now();
    while (reader && !stopping) {
      const got = reader.read(BATCH_EVENTS);
      if (got.records.length === 0) {
        reader.done(got.next);
        break;
      }
      const batches = toBatches(got.records);
      for (;;) {
        try {
          for (const b of batches) {
            const pending = sink(b);
            if (pending) await pending;
          }
          break;
        } catch {
          // The sink failed: the batch stays spooled and is offered again.
          await new Promise((r) => setTimeout(r, 200));
          if (stopping) return;
        }
      }
      reader.done(got.next);
      Atomics.sub(queued, 0, got.events);
      settleDrains();
      if (performance.now() - turn > TURN_MS) {
        await nextTurn();
        turn = performance.now();
      }
    }
  };
  const pump = () => {
    if (pumping || !reader || stopping) return;
    pumping = pumpOnce().finally(() => {
      pumping = undefined;
      // Records announced while the last batch was with the sink.
      if (reader?.pending) pump();
    });
  };

  const ready = new Promise<number>((resolve, reject) => {
    worker.on('message', (m: ToMain) => {
      switch (m.t) {
        case 'ready':
          // After the worker started, so its thread keeps the priority it was created with.
          if (config.evaluationNice !== undefined) lowerThreadPriority(config.evaluationNice);
          // Records are decoded (toBatches) before the next read: reads may share one buffer.
          reader = new SpoolReader(dir, m.start, m.ends, report, { reuse: true, verify: false });
          pump();
          return resolve(m.port);
        case 'failed':
          void worker.terminate();
          return reject(new Error(m.message));
        case 'written':
          reader?.extend(m.ends);
          return pump();
        case 'problem':
          return report(m.problem);
        case 'closed':
          closedResolve?.();
      }
    });
    worker.on('error', (error) => {
      report(problem('VS1011', 'http-receiver', { source: 'http-receiver', detail: `the receiver thread failed: ${error.message}` }));
      reject(error);
    });
    worker.on('exit', () => {
      exited = true;
      closedResolve?.();
      settleDrains();
      reject(new Error('the receiver thread exited'));
    });
  });
  const port = await ready;

  return {
    port,
    url: `${config.tls ? 'https' : 'http'}://${config.bind && config.bind !== '0.0.0.0' ? config.bind : '127.0.0.1'}:${port}`,
    queued: () => Atomics.load(queued, 0),
    drained: () => new Promise<void>((resolve) => {
      drains.push(resolve);
      settleDrains();
    }),
    async close() {
      if (stopping) return;
      const deadline = new Promise((r) => setTimeout(r, 5000).unref());
      if (!exited) {
        const closed = new Promise<void>((resolve) => (closedResolve = resolve));
        worker.postMessage({ t: 'close' } satisfies ToWorker);
        await Promise.race([closed, deadline]);
      }
      // A sink stuck in a batch must not hold up shutdown; that batch stays spooled for the next start.
      stopping = true;
      await Promise.race([pumping, deadline]);
      reader?.close();
      await worker.terminate();
      settleDrains();
    },
  };
}
