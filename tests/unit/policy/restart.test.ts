import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createPolicyEngine, type PolicyAlert, type PolicySet } from '../../../runtime/engine/policy-engine.js';
import { openEngineState } from '../../../runtime/state/engine-state.js';
import type { AnomalyIR } from '../../../runtime/engine/policy-ir.js';
import { RULES, policies, proc, reconChain, reconScore } from './fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-policy-state-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const newPair: AnomalyIR = {
  type: 'anomaly',
  id: 'new-parent-child',
  relationship: 'parent-child',
  key: ['host', 'ParentImage', 'Image'],
  eventIds: [1],
  learningMs: 145_000,
  suppressOnCollector: false,
};

const set: PolicySet = policies({ threatScores: [reconScore()], chains: [reconChain()], anomalies: [newPair] });

/** Runs events through a fresh engine on the state directory, then closes it like a stopping agent. */
function session(events: readonly [number, Record<string, unknown>][]): PolicyAlert[] {
  const state = openEngineState(dir);
  const out: PolicyAlert[] = [];
  try {
    const engine = createPolicyEngine(RULES, set, { store: state.store, toleranceMs: 0 });
    for (const [i, e] of events) engine.process(e, i, (a) => out.push(a));
    engine.checkpoint();
  } finally {
    state.close();
  }
  return out.filter((a) => a.kind !== 'detection');
}

describe('state survives a restart (real SQLite file)', () => {
  const seq: [number, Record<string, unknown>][] = [
    [0, proc('calc', 'WS1', 0)],
    [1, proc('whoami', 'WS1', 120_000)],
    [2, proc('ipconfig', 'WS1', 130_000)],
    [3, proc('systeminfo', 'WS1', 140_000)],
    [4, proc('wmic', 'WS1', 150_000)],
    [5, proc('nltest', 'WS1', 160_000)],
  ];

  test('restarting in the middle of the sequence still gives exactly one alert of each kind', () => {
    const first = session(seq.slice(0, 3));
    expect(first).toEqual([]);
    const second = session(seq.slice(3));
    expect(second.map((a) => a.kind).sort()).toEqual(['anomaly', 'anomaly', 'chain', 'threat-score']);
    const score = second.find((a) => a.kind === 'threat-score');
    expect(score).toMatchObject({ score: 100, key: { host: 'WS1' } });
    expect(score?.kind === 'threat-score' && score.contributions.map((c) => c.event)).toEqual([1, 2, 3, 4]);
    expect(second.find((a) => a.kind === 'chain')).toMatchObject({ events: [1, 4, 5] });
    // The learning period started in the first session: calc (seen then) stays quiet, new pairs after it alert.
    expect(second.filter((a) => a.kind === 'anomaly').map((a) => (a.kind === 'anomaly' ? a.event : -1))).toEqual([4, 5]);
  });

  test('the same run without a restart gives the same alerts', () => {
    const once = session(seq);
    expect(once.map((a) => a.kind).sort()).toEqual(['anomaly', 'anomaly', 'chain', 'threat-score']);
  });

  test('a restart inside the cooldown does not alert again', () => {
    session(seq);
    const again = session([[6, proc('whoami', 'WS1', 170_000)], [7, proc('ipconfig', 'WS1', 171_000)], [8, proc('systeminfo', 'WS1', 172_000)], [9, proc('wmic', 'WS1', 173_000)]]);
    expect(again.filter((a) => a.kind === 'threat-score')).toEqual([]);
  });

  test('ended windows are evicted from the file, so it stays bounded', () => {
    const many: [number, Record<string, unknown>][] = [];
    for (let i = 0; i < 3000; i++) many.push([i, proc('whoami', `H${i}`, i * 1000)]);
    session(many);
    const state = openEngineState(dir);
    try {
      expect(state.store.count('score')).toBeLessThan(400);
      expect(state.store.count('chain')).toBeLessThan(700);
    } finally {
      state.close();
    }
  });
});
