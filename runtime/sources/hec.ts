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
 * Retry-After; accepted events are spooled durably (hec-spool.ts) before the 200.
 *
 * The HTTP side and the spool run in a worker thread (hec-worker.ts, hec-http.ts); this file is
 * the agent's side: it starts the worker, parses each stored row again where the sink (the
 * engine) runs (hec-routing.ts), and acknowledges the row once the sink returned, which lets the
 * worker delete it.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LogFormat } from '../../schema/generated/log-format.js';
import type { LogSource } from '../../schema/generated/log-source.js';
import type { Store } from '../state/store.js';
import type { EventSink } from './event-sink.js';
import { buildRouting, reviver } from './hec-routing.js';
import { decodeRowSafely, type SpooledRow } from './hec-spool.js';
import { ignoreProblems, problem, type Problem, type ProblemSink } from './problems.js';

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
  /** The agent's state database file (the worker opens its own connection). */
  readonly dbFile: string;
}

/** Messages from the worker. */
export type ToMain =
  | { readonly t: 'ready'; readonly port: number; readonly queued: number }
  | { readonly t: 'failed'; readonly message: string }
  | { readonly t: 'row'; readonly row: SpooledRow }
  | { readonly t: 'problem'; readonly problem: Problem }
  | { readonly t: 'queued'; readonly n: number }
  | { readonly t: 'drained'; readonly id: number }
  | { readonly t: 'closed' };

/** Messages to the worker. */
export type ToWorker =
  | { readonly t: 'ack'; readonly id: number; readonly ok: boolean }
  | { readonly t: 'drain'; readonly id: number }
  | { readonly t: 'close' };

/** Starts the worker: the built .js next to this file, or (tests running the TypeScript sources) the .ts through tsx. */
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
  // Built here too (checking the sources before a thread starts): rows are parsed again on this thread.
  const routing = buildRouting(config.sources);
  const revive = reviver(routing);
  const tags = new Map([...routing.served].map(([name, s]) => [name, { source: name, ...(s.source.spec.logsource ? { logsource: s.source.spec.logsource } : {}) }]));
  const worker = spawnWorker({ config, dbFile: store.path });
  const send = (m: ToWorker) => worker.postMessage(m);
  let queued = 0;
  let drainId = 0;
  const drains = new Map<number, () => void>();
  let closedResolve: (() => void) | undefined;
  let exited = false;

  // Rows are evaluated one at a time, in order, even though the worker offers several at once:
  // after a failure, the rows offered behind it are refused too, so none overtakes it.
  let failedAt: number | undefined;
  const evaluate = async (row: SpooledRow) => {
    if (failedAt !== undefined && row.id > failedAt) return send({ t: 'ack', id: row.id, ok: false });
    failedAt = undefined;
    try {
      for (const g of decodeRowSafely(row, revive)) {
        if (g.events.length === 0) continue;
        const tag = tags.get(g.source) ?? { source: g.source };
        await sink(g.events.map((event) => ({ ...tag, event })));
      }
      send({ t: 'ack', id: row.id, ok: true });
    } catch {
      // The row stays spooled; the worker offers it again shortly.
      failedAt = row.id;
      send({ t: 'ack', id: row.id, ok: false });
    }
  };
  let chain: Promise<void> = Promise.resolve();
  const take = (row: SpooledRow) => {
    chain = chain.then(() => evaluate(row));
  };

  const ready = new Promise<number>((resolve, reject) => {
    worker.on('message', (m: ToMain) => {
      switch (m.t) {
        case 'ready':
          queued = m.queued;
          return resolve(m.port);
        case 'failed':
          void worker.terminate();
          return reject(new Error(m.message));
        case 'row':
          return take(m.row);
        case 'problem':
          return report(m.problem);
        case 'queued':
          queued = m.n;
          return;
        case 'drained':
          queued = 0;
          drains.get(m.id)?.();
          drains.delete(m.id);
          return;
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
      for (const f of drains.values()) f();
      reject(new Error('the receiver thread exited'));
    });
  });
  const port = await ready;
  // The worker does not checkpoint the WAL (see hec-worker.ts); this thread does, without blocking writers.
  const checkpoints = setInterval(() => {
    try {
      store.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // A busy or closed database is checkpointed next time (or by its next writer).
    }
  }, 250);
  checkpoints.unref();

  return {
    port,
    url: `${config.tls ? 'https' : 'http'}://${config.bind && config.bind !== '0.0.0.0' ? config.bind : '127.0.0.1'}:${port}`,
    queued: () => queued,
    drained: () => (exited ? Promise.resolve() : new Promise<void>((resolve) => {
      const id = ++drainId;
      drains.set(id, resolve);
      send({ t: 'drain', id });
    })),
    async close() {
      clearInterval(checkpoints);
      if (exited) return;
      const closed = new Promise<void>((resolve) => (closedResolve = resolve));
      send({ t: 'close' });
      // A sink stuck in a batch must not hold up shutdown; that batch stays spooled for the next start.
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5000).unref())]);
      await worker.terminate();
    },
  };
}
