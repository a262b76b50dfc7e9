/**
 * The agent's control loop: resume the active bundle from the state directory, poll the origin
 * (ETag, exponential backoff with jitter), verify through the TUF client, self-test, activate
 * atomically, run the engine over the event sources the bundle configures (and `--events`),
 * dispatch alerts through its actions, report status. Every step returns a value; a failure is
 * recorded and reported, and whatever was running keeps running. This file is the control loop;
 * the path of events and alerts through the running bundle is runtime/agent-events.ts.
 */
import type { Readable } from 'node:stream';
import { StateDir, prepareBundle, type BundleRecord, type Prepared } from './activate.js';
import { lineWriter } from './alert-routing.js';
import { createEventPath, type Running } from './agent-events.js';
import { openSecret } from './bundle/seal.js';
import { configuresIo, startBundleIo, type BundleIo } from './bundle-io.js';
import type { AnomalyAlert, CollectorBaseline } from './engine/anomaly.js';
import { MemoryStateStore, type StateStore } from './engine/policy-state.js';
import type { Problem } from './sources/problems.js';
import { SqliteStateStore } from './state/engine-state.js';
import { openStore, type Store } from './state/store.js';
import type { TransportError } from './http-request.js';
import { backoffDelay, trustedExpiry, updateBundle, type RecordingFetcher } from './pull.js';
import type { Refusal } from './refusals.js';
import { MAX_ERRORS, type AgentStatus, type StatusError } from './status.js';

/** Where bundles come from: an HTTP(S) server (`vigil serve`, a CDN) or an OCI registry. */
export interface Origin {
  /** Asks whether the repository changed since the last handled change. */
  poll(): Promise<{ kind: 'changed'; fetcher: RecordingFetcher; commit: () => void } | { kind: 'unchanged' } | { kind: 'unreachable'; error: TransportError }>;
  /** Sends a status report; returns the transport error, if any. */
  report?(status: AgentStatus): Promise<TransportError | undefined>;
  /** The ring the origin placed this agent in, when it said so. */
  ring?(): string | undefined;
}

/** Everything the loop needs. */
export interface AgentOptions {
  readonly origin: Origin;
  readonly trust: Uint8Array;
  readonly stateDir: string;
  readonly group: string;
  readonly host: string;
  /** The agent's age identity, to open sealed credentials. */
  readonly identity?: string;
  /** Event lines (JSON Lines); alerts go to `alert`. */
  readonly events?: Readable;
  readonly alert: (line: string) => void;
  /** Progress and problems, one human line each. */
  readonly log: (line: string) => void;
  readonly pollIntervalMs?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  readonly maxBundleBytes?: number;
  /** After an activation, this many engine errors within `probationMs` make the agent revert. */
  readonly burstErrors?: number;
  readonly probationMs?: number;
  readonly version?: string;
  readonly now?: () => Date;
  /** The collector's anomaly baseline (filter on collector); without it every first-seen alert is kept. */
  readonly collector?: CollectorBaseline & { isNew(alert: AnomalyAlert): Promise<boolean> };
  /** Overrides the port of the bundle's HTTP receiver (0: any free port, printed on the log). */
  readonly receiverPort?: number;
  /** Replaces the Entra ID and Graph endpoints of sign-in sources (a local fake in tests). */
  readonly azureEndpoint?: string;
  /** Environment that `env:` credential references read (default: the process's). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A running agent. */
export interface RunningAgent {
  /** Ends the loop and the event source; resolves when everything stopped. */
  stop(): Promise<void>;
  /** Resolves when the loop ended (stop was called). */
  readonly done: Promise<void>;
  /** Resolves when the event source is exhausted (immediately when there is none). */
  readonly eventsDone: Promise<void>;
  status(): AgentStatus;
}

/** Starts the agent; never throws. */
export function startAgent(opts: AgentOptions): RunningAgent {
  const now = opts.now ?? (() => new Date());
  const interval = opts.pollIntervalMs ?? 30_000;
  const state = new StateDir(opts.stateDir);
  const packLookup = (sha256: string) => state.packs.read(sha256);
  const errors: StatusError[] = [];
  let running: Running | undefined;
  let selfTest: AgentStatus['selfTest'] = 'none';
  let reverted: AgentStatus['reverted'];
  let refused: AgentStatus['refused'];
  let phase: AgentStatus['state'] = 'starting';
  let stopped = false;
  let wake: (() => void) | undefined;
  let activeWaiters: (() => void)[] = [];
  // Threat-score windows, chain progress, anomaly baselines, read offsets, the receiver's spool
  // and the alert outbox: one SQLite database in the state directory, so they survive restarts
  // and bundle swaps. Policy state falls back to memory when the directory cannot hold it.
  let db: Store | undefined;
  let store: StateStore = new MemoryStateStore();
  // The sources and actions of the running bundle; swaps are serialised through `ioChain`.
  let io: BundleIo | undefined;
  let ioChain: Promise<void> = Promise.resolve();
  const alertStream = lineWriter((line) => opts.alert(line));

  const log = (line: string) => {
    try {
      opts.log(line);
    } catch {
      // A closed log stream must not stop the agent.
    }
  };
  const recordError = (code: string, message: string) => {
    errors.push({ code, message, at: now().toISOString() });
    if (errors.length > MAX_ERRORS) errors.splice(0, errors.length - MAX_ERRORS);
    log(`agent: error[${code}]: ${message}`);
  };
  const recordRefusals = (refusals: readonly Refusal[]) => {
    for (const r of refusals) recordError(r.code, r.message);
  };

  const status = (): AgentStatus => {
    const { pointer } = state.readPointer();
    const since = running ? Date.parse(running.record.activatedAt) : 0;
    const ring = opts.origin.ring?.();
    return {
      host: opts.host, group: opts.group, ...(ring ? { ring } : {}), state: phase,
      ...(running ? { bundle: { version: running.record.version, digest: running.record.sha256, activatedAt: running.record.activatedAt } } : {}),
      ...(pointer.previous ? { lastKnownGood: pointer.previous.sha256 } : {}),
      selfTest, errors: [...errors],
      errorBurst: errors.filter((e) => Date.parse(e.at) >= since && e.code.startsWith('VA21')).length >= (opts.burstErrors ?? 5),
      ...(reverted ? { reverted } : {}), ...(refused ? { refused } : {}),
      ...(io ? io.status() : {}),
      pollIntervalMs: interval, agentVersion: opts.version ?? '0.1.0', reportedAt: now().toISOString(),
    };
  };

  const reportProblem = (p: Problem) => {
    // Runtime problems (a bad line, a failed delivery) are logged; parts that cannot start also count as errors.
    if (p.code === 'VS1011' || p.code === 'VS2003') recordError(p.code, p.message);
    else log(`agent: ${p.code.startsWith('VS2') ? 'action' : 'source'} \`${p.origin}\`: ${p.code}: ${p.message}`);
  };

  // Events through the running bundle's engine and alerts out through its actions (runtime/agent-events.ts).
  const events = createEventPath({
    host: opts.host, ...(opts.collector ? { collector: opts.collector } : {}), print: opts.alert, log, recordError, now,
    burstErrors: opts.burstErrors ?? 5, probationMs: opts.probationMs ?? 10 * 60_000,
    running: () => running, io: () => io, db: () => db, ioSettled: () => ioChain,
    active: () => Promise.race([whenActive(), stoppedPromise]), stopped: () => stopped, revert: (why) => revert(why),
  });

  /** Stops the old bundle's sources and actions, then starts the new one's (their progress is in SQLite, so nothing acknowledged is lost). */
  const swapIo = (prepared: Prepared) => {
    ioChain = ioChain.then(async () => {
      const old = io;
      io = undefined;
      await old?.stop().catch((error: unknown) => recordError('VA2999', `stopping sources and actions: ${(error as Error).message}`));
      if (stopped || running?.prepared !== prepared) return;
      if (!db) {
        if (configuresIo(prepared.document.content)) recordError('VS1011', 'the bundle\'s sources and actions need the state database, which cannot be opened');
        return;
      }
      const identity = opts.identity;
      io = await startBundleIo(prepared.document.content, {
        store: db, sink: events.sink, stdout: alertStream, report: reportProblem, log,
        ...(identity ? { open: async (sealed: string) => new TextDecoder().decode(await openSecret(sealed, identity)) } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.receiverPort !== undefined ? { receiverPort: opts.receiverPort } : {}),
        ...(opts.azureEndpoint ? { azureEndpoint: opts.azureEndpoint } : {}),
      });
    }).catch((error: unknown) => recordError('VA2999', `starting sources and actions: ${(error as Error).message}`));
  };

  const run = (prepared: Prepared, record: BundleRecord) => {
    running = { prepared, record, errorsSince: 0 };
    selfTest = prepared.selfTest.passed ? 'passed' : 'failed';
    phase = 'running';
    swapIo(prepared);
    for (const w of activeWaiters) w();
    activeWaiters = [];
  };

  /** Loads what the state says is active; falls back to the last-known-good when the current is damaged. */
  const resume = async () => {
    const problem = state.init();
    if (problem) recordError('VA2005', `the state directory cannot be used: ${problem}`);
    else {
      try {
        db = openStore(opts.stateDir);
        store = new SqliteStateStore(db.db);
      } catch (error) {
        recordError('VA2005', `the policy state database cannot be opened, keeping state in memory: ${(error as Error).message}`);
      }
    }
    const { pointer, problem: bad } = state.readPointer();
    if (bad) recordError('VA2005', bad);
    for (const [which, record] of [['active', pointer.current], ['last-known-good', pointer.previous]] as const) {
      if (!record) continue;
      const bytes = state.readBundle(record.sha256);
      if (!bytes) {
        recordError('VA2005', `the ${which} bundle ${record.sha256.slice(0, 12)} is missing or damaged in the state directory`);
        continue;
      }
      const prepared = await prepareBundle(bytes, record.version, opts.identity, store, opts.collector, packLookup);
      if ('code' in prepared) {
        recordError(prepared.code, prepared.message);
        continue;
      }
      run(prepared, record);
      log(`agent: resumed ${which} bundle ${record.sha256.slice(0, 12)} (version ${record.version}, ${prepared.ruleCount} rules) without the server`);
      return;
    }
    phase = 'no-bundle';
  };

  /** Handles a verified bundle: skip, refuse, or activate. Returns whether the change is fully handled. */
  const consider = async (bytes: Uint8Array, sha256: string, version: number): Promise<boolean> => {
    if (running?.record.sha256 === sha256) return true;
    const { pointer } = state.readPointer();
    if (pointer.bad.includes(sha256)) return true;
    log(`agent: verified bundle ${sha256.slice(0, 12)} (version ${version}); self-testing`);
    const prepared = await prepareBundle(bytes, version, opts.identity, store, opts.collector, packLookup);
    if ('code' in prepared) {
      recordError(prepared.code, prepared.message);
      if (prepared.code === 'VA2003' && !running) selfTest = 'failed';
      refused = { digest: sha256, code: prepared.code, at: now().toISOString() };
      state.markBad(sha256);
      log(`agent: refused bundle ${sha256.slice(0, 12)}; ${running ? `still running ${running.record.sha256.slice(0, 12)}` : 'no bundle running'}`);
      return true;
    }
    log(`agent: activating bundle ${sha256.slice(0, 12)} (${prepared.ruleCount} rules, ${prepared.selfTest.total} self-test vectors passed)`);
    const record = state.activate(prepared, bytes, now(), (step) => log(`agent: activation: ${step}`));
    if ('code' in record) {
      recordError(record.code, record.message);
      return false;
    }
    run(prepared, record);
    reverted = undefined;
    log(`agent: activated bundle ${sha256.slice(0, 12)} (version ${version})`);
    return true;
  };

  /** One poll: returns whether the origin was reachable. */
  const cycle = async (): Promise<boolean> => {
    const polled = await opts.origin.poll();
    if (polled.kind === 'unreachable') {
      recordError('VT3001', `origin unreachable: ${polled.error.message}`);
      return false;
    }
    if (polled.kind === 'unchanged') {
      const expiry = trustedExpiry(state.metadataDir);
      if (expiry && expiry.getTime() < now().getTime()) recordError('VR1007', `the trusted timestamp expired at ${expiry.toISOString()} and the origin offers nothing newer (freeze)`);
      return true;
    }
    const outcome = await updateBundle({ fetcher: polled.fetcher, trust: opts.trust, metadataDir: state.metadataDir, group: opts.group, havePack: packLookup, ...(opts.maxBundleBytes ? { maxBundleBytes: opts.maxBundleBytes } : {}) });
    if (outcome.kind === 'unreachable') {
      recordError('VT3001', `download failed: ${outcome.error.message}`);
      return false;
    }
    if (outcome.kind === 'refused') {
      recordRefusals(outcome.refusals);
      return true;
    }
    try {
      // Newly downloaded packs are stored before their bundle is considered, so a stored bundle always finds them.
      state.packs.write(outcome.bundle.packs);
    } catch (error) {
      recordError('VA2005', `the bundle's rule packs could not be stored: ${(error as Error).message}`);
      return true;
    }
    if (await consider(outcome.bundle.bytes, outcome.bundle.sha256, outcome.bundle.version)) polled.commit();
    return true;
  };

  const report = async () => {
    if (!opts.origin.report) return;
    const failure = await opts.origin.report(status());
    if (failure) log(`agent: status report not delivered: ${failure.message}`);
  };

  /** Goes back to the last-known-good after an error burst. */
  const revert = async (why: string) => {
    const from = running?.record.sha256;
    if (!from) return;
    const record = state.revert();
    if (record && !('code' in record)) {
      const bytes = state.readBundle(record.sha256);
      const prepared = bytes ? await prepareBundle(bytes, record.version, opts.identity, store, opts.collector, packLookup) : undefined;
      if (prepared && !('code' in prepared)) {
        run(prepared, record);
        reverted = { from, to: record.sha256, at: now().toISOString(), reason: why };
        log(`agent: reverted from ${from.slice(0, 12)} to last-known-good ${record.sha256.slice(0, 12)}: ${why}`);
        void report();
        return;
      }
    }
    state.markBad(from);
    reverted = { from, at: now().toISOString(), reason: `${why}; no last-known-good to return to` };
    if (running) running.errorsSince = Number.NEGATIVE_INFINITY; // keep running it, report once
    log(`agent: bundle ${from.slice(0, 12)} is unhealthy and there is no last-known-good: ${why}`);
    void report();
  };

  const whenActive = () => (running ? Promise.resolve() : new Promise<void>((resolve) => activeWaiters.push(resolve)));

  let resolveStopped!: () => void;
  const stoppedPromise = new Promise<void>((resolve) => (resolveStopped = resolve));

  const loop = async () => {
    await resume();
    let failures = 0;
    while (!stopped) {
      let reachable = false;
      try {
        reachable = await cycle();
      } catch (error) {
        recordError('VA2999', `unexpected failure in the update cycle: ${(error as Error).message}`);
      }
      if (stopped) break;
      events.checkpoint();
      await report().catch(() => undefined);
      failures = reachable ? 0 : failures + 1;
      const delay = reachable ? Math.round(interval * (0.9 + 0.2 * Math.random())) : backoffDelay(failures - 1, opts.backoffBaseMs ?? 1000, Math.min(opts.backoffMaxMs ?? 300_000, Math.max(interval, 1000) * 10));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  };

  const done = loop().catch((error: unknown) => recordError('VA2999', `the agent loop ended: ${(error as Error).message}`));
  const eventsDone = opts.events ? events.consume(opts.events) : Promise.resolve();

  return {
    async stop() {
      stopped = true;
      resolveStopped();
      wake?.();
      opts.events?.destroy?.();
      await done;
      await eventsDone.catch(() => undefined);
      await ioChain;
      await io?.stop().catch(() => undefined);
      io = undefined;
      events.checkpoint();
      try {
        db?.close();
      } catch {
        // Closing is best effort; SQLite's journal keeps the state consistent.
      }
    },
    done,
    eventsDone,
    status,
  };
}
