import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { loadSigmaRules } from '../compiler/sigma/load-rules.js';
import { DiagnosticList } from '../compiler/reporter.js';
import { createEngine } from '../runtime/engine/engine.js';
import { EVALUATION_NICE } from '../runtime/sources/hec-config.js';
import { startHecReceiver } from '../runtime/sources/hec.js';
import { openStore } from '../runtime/state/store.js';
import { corpusDir, filesUnder, sigmaRuleDirs } from './corpus.js';
import { emit, progress, type Figure } from './measure.js';

/**
 * Receiver throughput: events per second posted to /services/collector/event by a loopback load
 * generator (autocannon), against a bare Node HTTP server that only reads request bodies, in the
 * same run. Each server runs in its own child process so the load generator never shares its
 * event loop; the receiver runs with every SigmaHQ Windows rule active, and its figure counts
 * only events the engine has evaluated (not merely spooled). The engine alone on the same events
 * (one thread, no HTTP) is measured too: evaluation is single-threaded, so it bounds the receiver.
 */

const TOKEN = 'bench-token';
const DURATION_S = Number(process.env.HEC_BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.HEC_BENCH_CONNECTIONS ?? 16);
/** Alternating bare/receiver rounds for the goal's figure (one event per request). */
const ROUNDS = Math.max(1, Number(process.env.HEC_BENCH_ROUNDS ?? 5));
/** Distinct corpus events the load generator cycles through. */
const SAMPLE_EVENTS = 200;
/** Events per request: single events (the goal) and forwarder-style batches of ten (HEC_BENCH_BATCHES=1 runs only the first). */
const BATCHES = (process.env.HEC_BENCH_BATCHES === '1' ? [1] : [1, 10]) as readonly number[];

interface AutocannonResult {
  readonly duration: number;
  readonly '2xx': number;
  readonly non2xx: number;
  readonly errors: number;
  readonly latency: { readonly p99: number };
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

interface Stats {
  readonly processed: number;
  readonly alerts: number;
  readonly queued: number;
  /** CPU time of the server process so far, all threads, in microseconds. */
  readonly cpu: number;
  /** CPU time per thread id so far, in microseconds (Linux only; empty elsewhere). */
  readonly threads: Readonly<Record<string, number>>;
}

/** CPU time of each thread of this process, from /proc (Linux); empty where there is no /proc. */
function threadCpu(): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the parenthesised name: utime and stime are the 12th and 13th, in clock ticks (100 Hz).
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[tid] = (Number(rest[11]) + Number(rest[12])) * 10_000;
    }
  } catch {
    // No /proc (Windows, macOS): the per-thread figures are left out.
  }
  return out;
}

/** CPU per request of the main thread, of the busiest other thread (the receiver's), and of the rest, between two samples. */
function perThread(pid: number, before: Stats, after: Stats, requests: number): { main: number; receiver: number; rest: number } | undefined {
  const spent = Object.entries(after.threads).map(([tid, us]) => [tid, us - (before.threads[tid] ?? 0)] as const);
  if (spent.length === 0) return undefined;
  const main = spent.find(([tid]) => tid === String(pid))?.[1] ?? 0;
  const others = spent.filter(([tid]) => tid !== String(pid)).map(([, us]) => us).sort((a, b) => b - a);
  const receiver = others[0] ?? 0;
  const rest = others.slice(1).reduce((a, b) => a + b, 0);
  return { main: main / requests, receiver: receiver / requests, rest: rest / requests };
}

/** Child mode: a bare server or the receiver; prints nothing, talks over IPC. */
async function serve(kind: string, eventsPerRequest: number): Promise<void> {
  let processed = 0;
  let alerts = 0;
  let queued = () => 0;
  let port: number;
  if (kind === 'bare') {
    const server = createServer((req, res) => {
      req.on('data', () => undefined);
      req.on('end', () => {
        processed += eventsPerRequest;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"text":"Success","code":0}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  } else {
    const reporter = new DiagnosticList();
    // `hec-norules` measures the receiver alone (spooling, no evaluation), to show where time goes.
    const loaded = kind === 'hec-norules' ? { rules: [] } : loadSigmaRules(sigmaRuleDirs().map((d) => path.join(d, 'windows')), process.cwd(), reporter, { pipeline: 'windows' });
    const engine = createEngine(loaded.rules);
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-hec-bench-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const store = openStore(dir);
    const source = { apiVersion: 'vigil/v1' as const, kind: 'LogSource' as const, metadata: { name: 'sysmon' }, spec: { type: 'http' as const } };
    const emitAlert = () => void alerts++;
    // Evaluation at the priority the agent gives it by default (a Service's `evaluationNice`).
    const hec = await startHecReceiver({ port: 0, tokens: [TOKEN], sources: [{ source }], queueSize: 20_000, maxBodyBytes: 4 << 20, evaluationNice: EVALUATION_NICE }, (batch) => {
      for (const e of batch) engine.process(e.event, processed++, emitAlert);
    }, store);
    queued = () => hec.queued();
    port = hec.port;
    process.send!({ rules: loaded.rules.length });
  }
  // A clean exit on SIGTERM, so a --cpu-prof profile gets written.
  process.on('SIGTERM', () => process.exit(0));
  process.on('message', (m) => {
    if (m === 'stats') {
      const { user, system } = process.cpuUsage();
      process.send!({ processed, alerts, queued: queued(), cpu: user + system, threads: threadCpu() } satisfies Stats);
    }
  });
  process.send!({ port });
}

/** Events per second the engine alone evaluates on the sample the load generator sends (no HTTP, no spool): the receiver's ceiling. */
function engineAlone(lines: readonly string[]): number {
  const loaded = loadSigmaRules(sigmaRuleDirs().map((d) => path.join(d, 'windows')), process.cwd(), new DiagnosticList(), { pipeline: 'windows' });
  const engine = createEngine(loaded.rules);
  const events = lines.slice(0, SAMPLE_EVENTS).map((l) => JSON.parse(l) as unknown);
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < 2000) for (const e of events) engine.process(e, n++, () => undefined);
  return (n / (performance.now() - started)) * 1000;
}

function ask<T>(child: ReturnType<typeof fork>, pick: (m: Record<string, unknown>) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if (typeof m === 'object' && m !== null && pick(m as Record<string, unknown>)) {
        child.off('message', on);
        resolve(m as T);
      }
    };
    child.on('message', on);
  });
}

async function measure(kind: 'bare' | 'hec' | 'hec-norules', lines: readonly string[], eventsPerRequest: number, autocannon: Autocannon): Promise<{ rate: number; accepted: number; processed: number; rejected: number; p99: number; rules?: number; alerts: number; cpuPerRequest: number; threads?: { main: number; receiver: number; rest: number } }> {
  // Request bodies: real events as HEC envelopes, one per line, as forwarders send them; each
  // connection cycles through SAMPLE_EVENTS different events so the engine sees a varied stream.
  const bodies: { body: string }[] = [];
  for (let i = 0; i + eventsPerRequest <= SAMPLE_EVENTS; i += eventsPerRequest) {
    bodies.push({ body: lines.slice(i, i + eventsPerRequest).map((l) => `{"sourcetype":"sysmon","event":${l}}`).join('\n') });
  }
  const child = fork(fileURLToPath(import.meta.url), ['serve', kind, String(eventsPerRequest)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: process.env.HEC_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HEC_BENCH_PROFILE}`] : [] });
  try {
    const rulesMsg = kind !== 'bare' ? ask<{ rules: number }>(child, (m) => 'rules' in m) : Promise.resolve(undefined);
    const { port } = await ask<{ port: number }>(child, (m) => 'port' in m);
    const rules = (await rulesMsg)?.rules;
    const stats = () => {
      const p = ask<Stats>(child, (m) => 'processed' in m);
      child.send('stats');
      return p;
    };
    const opts = { url: `http://127.0.0.1:${port}/services/collector/event`, method: 'POST', requests: bodies, headers: { Authorization: `Splunk ${TOKEN}`, 'Content-Type': 'application/json' }, connections: CONNECTIONS, pipelining: 1 };
    await autocannon({ ...opts, duration: 2 });
    const before = await stats();
    const result = await autocannon({ ...opts, duration: DURATION_S });
    const after = await stats();
    const processed = after.processed - before.processed;
    const accepted = result['2xx'] * eventsPerRequest;
    // Events the server finished with during the window; for the receiver that means evaluated by the engine.
    const rate = Math.min(accepted, processed) / result.duration;
    // CPU per answered request, all of the server's threads: unlike the rates, it barely moves when other work shares the machine.
    const requests = Math.max(1, result['2xx'] + result.non2xx);
    const cpuPerRequest = (after.cpu - before.cpu) / requests;
    const threads = kind === 'bare' ? undefined : perThread(child.pid!, before, after, requests);
    return { rate, accepted, processed, rejected: result.non2xx, p99: result.latency.p99, alerts: after.alerts - before.alerts, cpuPerRequest, ...(rules !== undefined ? { rules } : {}), ...(threads ? { threads } : {}) };
  } finally {
    child.kill();
  }
}

type Measured = Awaited<ReturnType<typeof measure>>;

/** The run with the median rate. */
function median(runs: readonly Measured[]): Measured {
  return [...runs].sort((a, b) => a.rate - b.rate)[Math.floor(runs.length / 2)] as Measured;
}

async function main(): Promise<void> {
  const require = createRequire(import.meta.url);
  const autocannon = require('autocannon') as Autocannon;
  const lines: string[] = [];
  for (const f of filesUnder(path.join(corpusDir(), 'events'), /\.jsonl$/i)) {
    for (const line of readFileSync(f, 'utf8').split('\n')) if (line.trim() !== '') lines.push(line);
    if (lines.length > 5000) break;
  }
  const figures: Figure[] = [];
  const notes: string[] = [];
  progress('hec bench: the engine alone on the same events');
  const engineRate = engineAlone(lines);
  figures.push({ name: 'engine alone on the sample events (one thread)', value: engineRate, unit: 'events/s' });
  for (const batch of BATCHES) {
    // The goal's figure alternates bare and receiver runs and takes each one's median, so load
    // from other work on the machine falls on both alike instead of on whichever ran first.
    const rounds = batch === 1 ? ROUNDS : 1;
    const bares: Measured[] = [];
    const hecs: Measured[] = [];
    for (let r = 1; r <= rounds; r++) {
      progress(`hec bench: bare server, ${batch} event(s) per request (round ${r}/${rounds})`);
      bares.push(await measure('bare', lines, batch, autocannon));
      progress(`hec bench: receiver with the SigmaHQ Windows rules, ${batch} event(s) per request (round ${r}/${rounds})`);
      hecs.push(await measure('hec', lines, batch, autocannon));
    }
    const bare = median(bares);
    const hec = median(hecs);
    const ratio = hec.rate / bare.rate;
    if (rounds > 1) notes.push(`1 event/request, ${rounds} alternating rounds: bare ${bares.map((m) => Math.round(m.rate)).join(', ')} events/s; receiver ${hecs.map((m) => Math.round(m.rate)).join(', ')} events/s; ratio of medians`);
    const alone = batch === 1 ? await measure('hec-norules', lines, batch, autocannon) : undefined;
    const per = batch === 1 ? '1 event/request' : `${batch} events/request`;
    if (batch === BATCHES[0]) figures.push({ name: 'rules active in the receiver (Windows)', value: hec.rules ?? 0, unit: 'rules' });
    figures.push(
      { name: `bare HTTP server, ${per}`, value: bare.rate, unit: 'events/s' },
      { name: `receiver (spooled + evaluated), ${per}`, value: hec.rate, unit: 'events/s' },
      // The goal is held at one event per request, where both servers pay the same HTTP cost per
      // event; with batches the bare server does almost nothing per event while the engine still
      // evaluates every one, so that ratio measures the engine more than the receiver.
      batch === 1 ? { name: `receiver / bare server, ${per}`, value: ratio * 100, unit: '%', goal: '>= 60', pass: ratio >= 0.6 } : { name: `receiver / bare server, ${per}`, value: ratio * 100, unit: '%' },
      { name: `receiver p99 latency, ${per}`, value: hec.p99, unit: 'ms' },
    );
    if (alone) figures.push({ name: `receiver without rules / bare server, ${per}`, value: (alone.rate / bare.rate) * 100, unit: '%' });
    figures.push({ name: `server CPU per request: bare, ${per}`, value: bare.cpuPerRequest, unit: 'us' }, { name: `server CPU per request: receiver, ${per}`, value: hec.cpuPerRequest, unit: 'us' });
    if (alone) figures.push({ name: `server CPU per request: receiver without rules, ${per}`, value: alone.cpuPerRequest, unit: 'us' });
    // Where the receiver's CPU goes (Linux): the thread that answers senders, the one that evaluates, and the rest (GC helpers, the thread pool).
    if (hec.threads) {
      figures.push(
        { name: `receiver thread (HTTP, checks, spool) CPU per request, ${per}`, value: hec.threads.receiver, unit: 'us' },
        { name: `evaluating thread (parse, engine) CPU per request, ${per}`, value: hec.threads.main, unit: 'us' },
        { name: `other threads CPU per request, ${per}`, value: hec.threads.rest, unit: 'us' },
      );
    }
    // Evaluation runs on one thread, so the receiver with rules can never pass this ratio.
    if (batch === 1) figures.push({ name: `ceiling: engine alone / bare server, ${per}`, value: (engineRate / bare.rate) * 100, unit: '%' });
    notes.push(`${per}: ${CONNECTIONS} connections for ${DURATION_S}s; receiver answered ${hec.rejected} requests with 503 (back-pressure), acknowledged ${hec.accepted} and evaluated ${hec.processed} events (${hec.alerts} alerts); bare p99 ${bare.p99} ms`);
  }
  progress('');
  emit({ suite: 'hec', figures, notes });
}

if (process.argv[2] === 'serve') await serve(process.argv[3] ?? 'bare', Number(process.argv[4] ?? 1));
else await main();
