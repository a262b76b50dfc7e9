/**
 * The receiver's worker thread: the HTTP server, request checks and the writing end of the durable
 * spool run here, so acknowledging a request never waits for rule evaluation on the agent's main
 * thread, and both cores of a small collector do useful work. A request is answered with success
 * only after its record was written to the spool's current segment (spool/spool-writer.ts: in the
 * page cache, so it survives the process being killed); the requests of one event-loop turn are
 * written with one `writev` (group commit), then answered. The main thread reads the records back
 * from the files itself (spool/spool-reader.ts); this thread only tells it, fifty times a
 * second at most, where the segments it wrote to now end. The queue's size is one shared counter: this
 * thread adds a request's events when it takes them, the main thread subtracts them once the
 * sink took them, so no message goes back per request. Messages are the `ToMain` and `ToWorker`
 * unions of hec.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { HecWorkerData, ToMain, ToWorker } from './hec.js';
import type { ServerResponse } from 'node:http';
import type { HecStatus } from './hec-body.js';
import { startHecHttp, type HecHttp, type Intake, type Stored } from './hec-http.js';
import { buildRouting } from './hec-routing.js';
import { recoverSpool } from './spool/spool-recover.js';
import { SpoolWriter } from './spool/spool-writer.js';

const port = parentPort!;
const data = workerData as HecWorkerData;
const post = (m: ToMain) => port.postMessage(m);
const queued = new Int32Array(data.queued);
const capacity = data.config.queueSize ?? 10_000;

let http: HecHttp | undefined;
let writer: SpoolWriter | undefined;
let closed = false;
/** Writes the requests taken this turn (set once the spool is open). */
let flushPending: () => void = () => undefined;

// Ends of the segments written since the last notice, sent at most every NOTICE_MS: the answers do
// not wait for it, and a message per request would cost this thread more than the request.
const NOTICE_MS = 20;
const written = new Map<number, number>();
let noticeScheduled = false;
function notice(): void {
  noticeScheduled = false;
  if (written.size === 0) return;
  post({ t: 'written', ends: [...written] });
  written.clear();
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'close') void close();
});

/** Stops accepting, lets requests in progress finish, then closes the spool (syncing it) and says so. */
async function close(): Promise<void> {
  if (closed) return;
  closed = true;
  await http?.close();
  flushPending();
  writer?.close();
  notice();
  post({ t: 'closed' });
}

try {
  const routing = buildRouting(data.config.sources);
  const recovered = recoverSpool(data.dir, (problem) => post({ t: 'problem', problem }));
  Atomics.store(queued, 0, recovered.queued);
  const w = (writer = new SpoolWriter(data.dir, recovered.nextSegment));
  // Requests of one event-loop turn are written together (one writev), then answered.
  let batch: { kind: 'b'; key: Buffer; count: number; payload: Uint8Array; res: ServerResponse; answer: HecStatus; done: Stored }[] = [];
  const flush = (flushPending = () => {
    const records = batch;
    if (records.length === 0) return;
    batch = [];
    let failure: Error | undefined;
    try {
      const end = w.appendAll(records);
      written.set(end.segment, end.offset);
      if (!noticeScheduled) {
        noticeScheduled = true;
        setTimeout(notice, NOTICE_MS);
      }
    } catch (error) {
      failure = error as Error;
      for (const r of records) Atomics.sub(queued, 0, r.count);
    }
    for (const r of records) r.done(r.res, r.answer, failure);
  });
  const intake: Intake = {
    wouldOverflow: (n) => Atomics.load(queued, 0) + n > capacity,
    store(key, count, payload, res, answer, done) {
      // Counted now, so requests of the same turn cannot overfill the queue together.
      Atomics.add(queued, 0, count);
      if (batch.length === 0) setImmediate(flush);
      batch.push({ kind: 'b', key, count, payload, res, answer, done });
    },
  };
  http = await startHecHttp(data.config, routing, intake, (problem) => post({ t: 'problem', problem }));
  post({ t: 'ready', port: http.port, start: recovered.start, ends: recovered.ends });
} catch (error) {
  writer?.close();
  post({ t: 'failed', message: (error as Error).message });
}
