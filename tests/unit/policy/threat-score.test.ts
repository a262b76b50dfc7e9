import { describe, expect, test } from 'vitest';
import { createPolicyEngine, type PolicyAlert, type PolicySet } from '../../../runtime/engine/policy-engine.js';
import type { ThreatScoreAlert } from '../../../runtime/engine/threat-score.js';
import { MemoryStateStore } from '../../../runtime/engine/policy-state.js';
import { RULES, policies, proc, reconScore, toolRule } from './fixtures.js';

function run(set: PolicySet, events: Record<string, unknown>[], toleranceMs = 60_000): ThreatScoreAlert[] {
  const engine = createPolicyEngine(RULES, set, { toleranceMs });
  const out: PolicyAlert[] = [];
  events.forEach((e, i) => engine.process(e, i, (a) => out.push(a)));
  engine.flush((a) => out.push(a));
  return out.filter((a): a is ThreatScoreAlert => a.kind === 'threat-score');
}

const recon = policies({ threatScores: [reconScore()] });
const MIN = 60_000;

describe('threat scores', () => {
  test('the four recon tools within five minutes on one host alert once with the summed score', () => {
    const events = [proc('whoami', 'WS1', 0), proc('ipconfig', 'WS1', 20_000), proc('systeminfo', 'WS1', 50_000), proc('wmic', 'WS1', 90_000), proc('nltest', 'WS1', 100_000)];
    const alerts = run(recon, events);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ key: { host: 'WS1' }, score: 100 });
    expect(alerts[0]!.contributions.map((c) => [c.event, c.score])).toEqual([[0, 20], [1, 10], [2, 25], [3, 45]]);
  });

  test('one tool alone, or the tools on different hosts, do not alert', () => {
    expect(run(recon, [proc('wmic', 'WS1', 0)])).toEqual([]);
    expect(run(recon, [proc('ipconfig', 'WS1', 0)])).toEqual([]);
    expect(run(recon, [proc('whoami', 'WS1', 0), proc('ipconfig', 'WS2', 1), proc('systeminfo', 'WS1', 2), proc('wmic', 'WS2', 3)])).toEqual([]);
  });

  test('the same tools spread over an hour do not alert', () => {
    expect(run(recon, [proc('whoami', 'WS1', 0), proc('ipconfig', 'WS1', 20 * MIN), proc('systeminfo', 'WS1', 40 * MIN), proc('wmic', 'WS1', 60 * MIN)])).toEqual([]);
  });

  test('window edge: first and last event exactly one window apart alert, one millisecond more does not', () => {
    const at = (lastMs: number) => [proc('whoami', 'WS1', 0), proc('ipconfig', 'WS1', 1000), proc('systeminfo', 'WS1', 2000), proc('wmic', 'WS1', lastMs)];
    expect(run(recon, at(5 * MIN))).toHaveLength(1);
    expect(run(recon, at(5 * MIN + 1))).toEqual([]);
  });

  test('cooldown: the key stays quiet until the cooldown has passed, exactly at its end it scores again', () => {
    const burst = (start: number, first: number) => ['whoami', 'ipconfig', 'systeminfo', 'wmic'].map((t, i) => proc(t, 'WS1', start + i * 1000, { n: first + i }));
    const wmicAt = 3000;
    // The second burst ends 15 minutes after the first alert: its first three events fall in the cooldown.
    expect(run(recon, [...burst(0, 0), ...burst(10 * MIN, 4)])).toHaveLength(1);
    const third = burst(wmicAt + 15 * MIN, 8);
    expect(run(recon, [...burst(0, 0), ...third])).toHaveLength(2);
    const early = burst(wmicAt + 15 * MIN - 1, 8);
    expect(run(recon, [...burst(0, 0), ...early])).toHaveLength(1);
  });

  test('out-of-order events within the tolerance count by event time; later than the tolerance they are dropped', () => {
    const events = [proc('wmic', 'WS1', 90_000), proc('whoami', 'WS1', 0), proc('ipconfig', 'WS1', 20_000), proc('systeminfo', 'WS1', 50_000)];
    expect(run(recon, events, 2 * MIN)).toHaveLength(1);
    expect(run(recon, events, 30_000)).toEqual([]);
  });

  test('an event takes the highest matching score; tag and level selectors match the rules an event matched', () => {
    const set = policies({ threatScores: [reconScore({ threshold: 60, scores: [{ tag: 'attack.discovery', score: 30 }, { rule: 'rule-wmic', score: 5 }, { level: 'critical', score: 90 }] })] });
    const alerts = run(set, [proc('wmic', 'WS1', 0), proc('ipconfig', 'WS1', 1000)]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.contributions.map((c) => c.by)).toEqual(['tag:attack.discovery', 'tag:attack.discovery']);
  });

  test('a key field other than host, and events without it join no window', () => {
    const set = policies({ threatScores: [reconScore({ key: 'TargetUserName', threshold: 20, scores: [{ rule: 'rule-whoami', score: 20 }] })] });
    expect(run(set, [proc('whoami', 'WS1', 0)])).toEqual([]);
    expect(run(set, [proc('whoami', 'WS1', 0, { TargetUserName: 'bob' })])).toMatchObject([{ key: { TargetUserName: 'bob' }, score: 20 }]);
  });

  test('state stays bounded: windows of keys that went quiet are evicted', () => {
    const store = new MemoryStateStore();
    const rules = [...RULES, toolRule('calc')];
    const engine = createPolicyEngine(rules, policies({ threatScores: [reconScore()] }), { store, toleranceMs: 0, evictIntervalMs: MIN });
    let max = 0;
    for (let i = 0; i < 20_000; i++) {
      // A new host every event, one event a second: about 5 minutes of windows stay open.
      engine.process(proc('whoami', `H${i}`, i * 1000), i, () => undefined);
      max = Math.max(max, store.count('score'));
    }
    expect(max).toBeLessThan(400);
    expect(max).toBeGreaterThan(290);
    expect(engine.stats.evicted).toBeGreaterThan(19_000);
  });
});

describe('threat scores and Sigma correlations', () => {
  test('a rule a correlation hides (generate: false) still scores, and its own alert stays hidden', () => {
    const corr = { type: 'correlation' as const, id: 'many-wmic', title: 'many wmic', attribution: {}, correlation: 'event_count' as const, rules: ['rule-wmic'], groupBy: ['Hostname'], timespanMs: 60_000, condition: { gte: 2 }, generate: false };
    const engine = createPolicyEngine([...RULES, corr], policies({ threatScores: [reconScore({ threshold: 90 })] }));
    const out: PolicyAlert[] = [];
    [proc('wmic', 'WS1', 0), proc('wmic', 'WS1', 1000)].forEach((e, i) => engine.process(e, i, (a) => out.push(a)));
    expect(out.map((a) => a.kind)).toEqual(['correlation', 'threat-score']);
  });
});
