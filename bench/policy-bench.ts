import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { loadSigmaRules } from '../compiler/sigma/load-rules.js';
import { DiagnosticList } from '../compiler/reporter.js';
import { createEngine } from '../runtime/engine/engine.js';
import type { Rule } from '../runtime/engine/ir.js';
import { makeTimeReader } from '../runtime/engine/field-access.js';
import { createPolicyEngine, type PolicySet } from '../runtime/engine/policy-engine.js';
import type { AnomalyIR, ChainRule } from '../runtime/engine/policy-ir.js';
import { MemoryStateStore, type StateStore } from '../runtime/engine/policy-state.js';
import { GlobalBaseline } from '../runtime/collector/baseline.js';
import { openEngineState } from '../runtime/state/engine-state.js';
import { corpusDir, filesUnder, sigmaRuleDirs } from './corpus.js';
import { alternatingMedians, emit, progress, rssMiB } from './measure.js';

/**
 * The eval benchmark's stream (every SigmaHQ Windows rule over the corpus events) with threat
 * scores, chains and anomalies active: events per second against the Sigma-only engine on the
 * same stream in the same run, and how much state is left after one million events. The
 * corpus is sorted by event time and replayed with each pass shifted past the previous one, so
 * event time keeps moving forward as on a real agent (windows open, close and get evicted).
 */

const RATE_EVENTS = 200_000;
const STATE_EVENTS = 1_000_000;
const HOUR = 3_600_000;

interface Stream {
  readonly lines: readonly string[];
  readonly times: readonly number[];
  readonly span: number;
}

function stream(): Stream {
  const readTime = makeTimeReader();
  const rows: { line: string; time: number }[] = [];
  for (const f of filesUnder(path.join(corpusDir(), 'events'), /\.jsonl$/i)) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const time = readTime(JSON.parse(line));
      if (Number.isFinite(time)) rows.push({ line, time });
    }
  }
  rows.sort((a, b) => a.time - b.time);
  const first = rows[0]!.time;
  return { lines: rows.map((r) => r.line), times: rows.map((r) => r.time - first), span: rows[rows.length - 1]!.time - first + HOUR };
}

/** Runs `count` events of the replayed stream through `process`, with event time moved forward per pass. */
function replay(s: Stream, count: number, process: (event: Record<string, unknown>, index: number) => void): void {
  const base = Date.UTC(2026, 0, 1);
  for (let i = 0; i < count; i++) {
    const j = i % s.lines.length;
    const pass = Math.floor(i / s.lines.length);
    const event = JSON.parse(s.lines[j]!) as Record<string, unknown>;
    event['@timestamp'] = new Date(base + pass * s.span + s.times[j]!).toISOString();
    process(event, i);
  }
}

/** Policies over the loaded rules: scores by level and tag, chains of the most frequent matchers, the four relationships. */
function policiesFor(rules: readonly Rule[], s: Stream): PolicySet {
  const counts = new Map<string, number>();
  const probe = createEngine(rules);
  replay(s, Math.min(s.lines.length, 50_000), (e, i) => probe.process(e, i, (a) => void (a.kind === 'detection' && counts.set(a.rule.id, (counts.get(a.rule.id) ?? 0) + 1))));
  const frequent = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
  const chains: ChainRule[] = [];
  for (let i = 0; i + 2 < Math.min(frequent.length, 12); i += 3) {
    const ids = frequent.slice(i, i + 3);
    chains.push({ type: 'correlation', id: `chain-${i / 3}`, title: 'bench chain', attribution: {}, correlation: 'temporal_ordered', rules: ids, groupBy: ['host'], timespanMs: 10 * 60_000, generate: true, steps: ids.map((id) => ({ refs: [id] })) });
  }
  const rel = (id: string, relationship: AnomalyIR['relationship'], key: string[], eventIds: number[]): AnomalyIR => ({ type: 'anomaly', id, relationship, key, eventIds, learningMs: HOUR, suppressOnCollector: true });
  return {
    filters: [],
    threatScores: [
      { type: 'threat-score', id: 'by-level', key: 'host', windowMs: 5 * 60_000, threshold: 100, cooldownMs: 15 * 60_000, scores: [{ level: 'low', score: 10 }, { level: 'medium', score: 20 }, { level: 'high', score: 40 }, { level: 'critical', score: 80 }] },
      { type: 'threat-score', id: 'discovery', key: 'user', windowMs: 10 * 60_000, threshold: 60, cooldownMs: 10 * 60_000, scores: [{ tag: 'attack.discovery', score: 15 }, { tag: 'attack.execution', score: 10 }] },
    ],
    chains,
    anomalies: [
      rel('parent-child', 'parent-child', ['host', 'ParentImage', 'Image'], [1]),
      rel('user-process', 'user-process', ['host', 'User', 'Image'], [1]),
      rel('process-dll', 'process-dll', ['host', 'Image', 'ImageLoaded'], [7]),
      rel('user-pipe', 'user-pipe', ['host', 'User', 'PipeName'], [17, 18]),
    ],
  };
}

function stateBytes(store: StateStore): number {
  let n = 0;
  for (const space of ['score', 'chain', 'seen', 'learn', 'meta'] as const) for (const e of store.entries(space)) n += e.policy.length + e.key.length + e.value.length;
  return n;
}

async function main(): Promise<void> {
  const reporter = new DiagnosticList();
  const loaded = loadSigmaRules(sigmaRuleDirs().map((d) => path.join(d, 'windows')), process.cwd(), reporter, { pipeline: 'windows' });
  const s = stream();
  const policies = policiesFor(loaded.rules, s);
  progress(`policy bench: ${loaded.rules.length} rules, ${s.lines.length} distinct events`);

  const sigma = createEngine(loaded.rules);
  const kinds = new Map<string, number>();
  const count = (a: { kind: string }) => void kinds.set(a.kind, (kinds.get(a.kind) ?? 0) + 1);
  const runSigma = () => replay(s, RATE_EVENTS, (e, i) => sigma.process(e, i, () => undefined));
  const runPolicy = () => {
    kinds.clear();
    const engine = createPolicyEngine(loaded.rules, policies, { collector: new GlobalBaseline() });
    replay(s, RATE_EVENTS, (e, i) => engine.process(e, i, count));
  };
  // Alternate the two so load from other processes falls on both alike; medians of three each.
  const [sigmaMs, policyMs] = (await alternatingMedians([runSigma, runPolicy], 3, 1)) as [number, number];
  const sigmaRate = RATE_EVENTS / (sigmaMs / 1000);
  const policyRate = RATE_EVENTS / (policyMs / 1000);
  const perPass = Object.fromEntries(kinds);

  progress('policy bench: one million events (memory state)');
  const store = new MemoryStateStore();
  const big = createPolicyEngine(loaded.rules, policies, { store, collector: new GlobalBaseline() });
  replay(s, STATE_EVENTS, (e, i) => big.process(e, i, () => undefined));
  const entries = store.count();
  const windows = store.count('score') + store.count('chain');
  const bytes = stateBytes(store);

  progress('policy bench: SQLite state');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-policy-bench-'));
  let sqliteRate = 0;
  let sqliteBytes = 0;
  try {
    const state = openEngineState(dir);
    const t0 = performance.now();
    const onDisk = createPolicyEngine(loaded.rules, policies, { store: state.store, collector: new GlobalBaseline() });
    replay(s, RATE_EVENTS, (e, i) => onDisk.process(e, i, () => undefined));
    sqliteRate = RATE_EVENTS / ((performance.now() - t0) / 1000);
    state.store.db.pragma('wal_checkpoint(TRUNCATE)');
    state.close();
    sqliteBytes = statSync(state.file).size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  progress('');
  emit({
    suite: 'policy',
    figures: [
      { name: 'Sigma only (JSON.parse + evaluate)', value: sigmaRate, unit: 'events/s' },
      { name: 'with scores, chains, anomalies (memory state)', value: policyRate, unit: 'events/s' },
      { name: 'policy engine / Sigma only', value: (policyRate / sigmaRate) * 100, unit: '%', goal: '>= 70', pass: policyRate / sigmaRate >= 0.7 },
      { name: 'with SQLite state (one transaction per event)', value: sqliteRate, unit: 'events/s' },
      { name: 'state entries after 1M events', value: entries, unit: 'entries' },
      { name: 'open windows (scores + chains) after 1M events', value: windows, unit: 'entries', goal: '<= 10000', pass: windows <= 10_000 },
      { name: 'state size after 1M events', value: bytes / 1024, unit: 'KiB' },
      { name: 'SQLite file after 200k events', value: sqliteBytes / 1024, unit: 'KiB' },
      { name: 'resident memory after the run', value: rssMiB(), unit: 'MiB' },
    ],
    notes: [
      `${loaded.rules.length} rules, ${policies.threatScores.length} threat scores, ${policies.chains.length} chains, ${policies.anomalies.length} anomalies; ${s.lines.length} distinct events replayed in event-time order`,
      `alerts per ${RATE_EVENTS} events: ${JSON.stringify(perPass)}; ${big.stats.late} late, ${big.stats.evicted} evicted in the 1M run`,
    ],
  });
}

await main();
