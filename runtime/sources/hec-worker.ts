/**
 * The receiver's worker thread: the HTTP server, request parsing and the durable spool run here,
 * so acknowledging a request never waits for rule evaluation on the agent's main thread, and both
 * cores of a small collector do useful work. Stored rows go to the main thread as text (one string
 * per row: cheap to pass) and are deleted only after it acknowledges them, so the spool's
 * guarantees are unchanged. Messages are the `ToMain` and `ToWorker` unions of hec.ts.
 */
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../state/store.js';
import type { HecWorkerData, ToMain, ToWorker } from './hec.js';
import { startHecHttp, type HecHttp } from './hec-http.js';
import { buildRouting } from './hec-routing.js';
import { HecSpool } from './hec-spool.js';

const port = parentPort!;
const data = workerData as HecWorkerData;
const post = (m: ToMain) => port.postMessage(m);

let http: HecHttp | undefined;
let spool: HecSpool | undefined;
const store = openStore(path.dirname(data.dbFile));
// WAL checkpoints (copying committed pages into the database file, with an fsync) are left to the
// main thread's connection (hec.ts), so they never hold up an answer here.
store.db.pragma('wal_autocheckpoint = 0');
const abort = new AbortController();
const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
let closed = false;

port.on('message', (m: ToWorker) => {
  if (m.t === 'ack') {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w?.resolve();
    else w?.reject(new Error('the sink failed'));
  } else if (m.t === 'drain') {
    void (spool?.whenEmpty() ?? Promise.resolve()).then(() => post({ t: 'drained', id: m.id }));
  } else if (m.t === 'close') void close();
});

/** Stops accepting, lets the row being evaluated finish (up to 4.5 s), then stops the pump and commits what is left. */
async function close(): Promise<void> {
  if (closed) return;
  closed = true;
  await http?.close();
  for (let waited = 0; waiting.size > 0 && waited < 4500; waited += 10) await new Promise((r) => setTimeout(r, 10));
  // A row still being evaluated stays spooled for the next start.
  for (const w of waiting.values()) w.reject(new Error('closing'));
  waiting.clear();
  abort.abort();
  await pumping?.catch(() => undefined);
  spool?.close();
  store.close();
  post({ t: 'closed' });
}

let pumping: Promise<void> | undefined;
try {
  const routing = buildRouting(data.config.sources);
  spool = new HecSpool(store, data.config.queueSize ?? 10_000);
  http = await startHecHttp(data.config, routing, spool, (problem) => post({ t: 'problem', problem }));
  const s = spool;
  pumping = s.pumpRows((row) => new Promise<void>((resolve, reject) => {
    if (closed) return reject(new Error('closing'));
    waiting.set(row.id, { resolve, reject });
    post({ t: 'row', row });
  }), abort.signal, 64);
  // The main thread's view of the queue size (for `queued()`), refreshed while it changes.
  let last = -1;
  setInterval(() => {
    if (s.size !== last && !closed) post({ t: 'queued', n: (last = s.size) });
  }, 50).unref();
  post({ t: 'ready', port: http.port, queued: s.size });
} catch (error) {
  store.close();
  post({ t: 'failed', message: (error as Error).message });
}
