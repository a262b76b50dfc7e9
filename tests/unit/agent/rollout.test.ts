import { describe, expect, it } from 'vitest';
import { advance, hostBucket, parseDuration, planFromRollout, ringHealth, ringOf, type AgentView, type RolloutPlan } from '../../../runtime/rollout.js';

const plan: RolloutPlan = {
  name: 'staged',
  rings: [
    { name: 'canary', hosts: ['ams-ws-001'], soakMs: 1000, gates: { selfTestPassed: true, maxErrorRate: 0 } },
    { name: 'early', percentage: 25, soakMs: 1000, gates: { maxErrorRate: 0.5 } },
    { name: 'broad', percentage: 100, soakMs: 0, gates: {} },
  ],
};

const agent = (host: string, ring: number, digest: string, extra: Partial<AgentView> = {}): AgentView => ({ host, ring, alive: true, lastSeen: 0, digest, selfTest: 'passed', errorBurst: false, ...extra });

describe('rollout plans', () => {
  it('reads durations and Rollout documents', () => {
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1w')).toBeUndefined();
    const p = planFromRollout({ kind: 'Rollout', metadata: { name: 'x' }, spec: { hostGroups: ['g1'], rings: [{ name: 'c', hosts: ['a'], soak: '5m' }, { name: 'b', percentage: 100 }] } });
    expect(p).toEqual({ name: 'x', groups: ['g1'], rings: [{ name: 'c', hosts: ['a'], soakMs: 300_000, gates: {} }, { name: 'b', percentage: 100, soakMs: 0, gates: {} }] });
    expect(planFromRollout({ kind: 'Rollout', spec: { rings: [{ name: 'c', soak: 'soon' }] } })).toMatch(/soak/);
  });

  it('places hosts: named first, then by a stable share, unknown hosts last', () => {
    expect(ringOf(plan, 'AMS-WS-001')).toBe(0);
    expect(ringOf(plan, 'ams-ws-001.contoso.local')).toBe(0);
    expect(ringOf(plan, undefined)).toBe(2);
    const hosts = Array.from({ length: 400 }, (_, i) => `host-${i}`);
    const early = hosts.filter((h) => ringOf(plan, h) === 1).length;
    expect(early).toBeGreaterThan(60);
    expect(early).toBeLessThan(140);
    for (const h of hosts) expect(ringOf(plan, h)).toBe(hostBucket(h) < 25 ? 1 : 2);
  });
});

describe('ring health', () => {
  const ring = plan.rings[0]!;
  it('passes when every live agent runs the digest healthily, leaving out agents silent since before the offer', () => {
    expect(ringHealth(ring, 'd2', [agent('a', 0, 'd2'), agent('b', 0, 'd2', { alive: false, digest: 'd1', lastSeen: 5 })], 2, 10).pass).toBe(true);
  });
  it('counts an agent that went silent after the offer as failing', () => {
    expect(ringHealth(ring, 'd2', [agent('a', 0, 'd2'), agent('b', 0, 'd2', { alive: false, lastSeen: 50 })], 2, 10)).toMatchObject({ pass: false, failing: 1 });
  });
  it('waits for agents still on the old digest', () => {
    expect(ringHealth(ring, 'd2', [agent('a', 0, 'd2'), agent('b', 0, 'd1')], 2)).toMatchObject({ pass: false, pending: 1 });
  });
  it('fails on an error burst, a revert, a refusal or a failed self-test', () => {
    for (const extra of [{ errorBurst: true }, { revertedFrom: 'd2', digest: 'd1' }, { refusedDigest: 'd2', digest: 'd1' }, { selfTest: 'failed' as const }]) {
      expect(ringHealth(ring, 'd2', [agent('a', 0, 'd2', extra)], 1).pass).toBe(false);
    }
  });
  it('needs a healthy agent once the ring has had agents, none when it never had', () => {
    expect(ringHealth(ring, 'd2', [], 1).pass).toBe(false);
    expect(ringHealth(ring, 'd2', [], 0).pass).toBe(true);
  });
  it('tolerates failing agents up to maxErrorRate', () => {
    const early = plan.rings[1]!;
    expect(ringHealth(early, 'd2', [agent('a', 1, 'd2'), agent('b', 1, 'd2', { errorBurst: true })], 2).pass).toBe(true);
    expect(ringHealth(early, 'd2', [agent('a', 1, 'd2'), agent('b', 1, 'd2', { errorBurst: true }), agent('c', 1, 'd2', { errorBurst: true })], 3).pass).toBe(false);
  });
});

describe('advance', () => {
  it('approves the first release everywhere, then stages the next one ring by ring after each soak', () => {
    let s = advance(plan, undefined, { release: 'r1', digest: 'd1' }, [], [], 0);
    expect(s.map((r) => r.digest)).toEqual(['d1', 'd1', 'd1']);
    s = advance(plan, s, { release: 'r2', digest: 'd2' }, [], [1, 1, 1], 1000);
    expect(s.map((r) => r.digest)).toEqual(['d2', 'd1', 'd1']);
    const onD2 = [agent('ams-ws-001', 0, 'd2'), agent('e', 1, 'd1'), agent('b', 2, 'd1')];
    s = advance(plan, s, { release: 'r2', digest: 'd2' }, onD2, [1, 1, 1], 1500);
    expect(s[0]?.healthySince).toBe(1500);
    expect(s.map((r) => r.digest)).toEqual(['d2', 'd1', 'd1']);
    s = advance(plan, s, { release: 'r2', digest: 'd2' }, onD2, [1, 1, 1], 2600);
    expect(s.map((r) => r.digest)).toEqual(['d2', 'd2', 'd1']);
    // The early ring has not activated yet: the broad ring waits.
    s = advance(plan, s, { release: 'r2', digest: 'd2' }, onD2, [1, 1, 1], 5000);
    expect(s.map((r) => r.digest)).toEqual(['d2', 'd2', 'd1']);
    const all = [agent('ams-ws-001', 0, 'd2'), agent('e', 1, 'd2'), agent('b', 2, 'd1')];
    s = advance(plan, s, { release: 'r2', digest: 'd2' }, all, [1, 1, 1], 5100);
    s = advance(plan, s, { release: 'r2', digest: 'd2' }, all, [1, 1, 1], 6200);
    expect(s.map((r) => r.digest)).toEqual(['d2', 'd2', 'd2']);
  });

  it('resets the soak when the canary turns unhealthy, and never promotes a refused bundle', () => {
    let s = advance(plan, undefined, { release: 'r1', digest: 'd1' }, [], [], 0);
    s = advance(plan, s, { release: 'r2', digest: 'd2' }, [], [1, 1, 1], 0);
    s = advance(plan, s, { release: 'r2', digest: 'd2' }, [agent('ams-ws-001', 0, 'd2')], [1, 1, 1], 100);
    expect(s[0]?.healthySince).toBe(100);
    s = advance(plan, s, { release: 'r2', digest: 'd2' }, [agent('ams-ws-001', 0, 'd1', { revertedFrom: 'd2' })], [1, 1, 1], 900);
    expect(s[0]?.healthySince).toBeUndefined();
    s = advance(plan, s, { release: 'r2', digest: 'd2' }, [agent('ams-ws-001', 0, 'd1', { revertedFrom: 'd2' })], [1, 1, 1], 60_000);
    expect(s.map((r) => r.digest)).toEqual(['d2', 'd1', 'd1']);
  });

  it('moves rings at once to a release that leaves their bundle unchanged', () => {
    let s = advance(plan, undefined, { release: 'r1', digest: 'd1' }, [], [], 0);
    s = advance(plan, s, { release: 'r2', digest: 'd1' }, [], [], 10);
    expect(s.map((r) => r.release)).toEqual(['r2', 'r2', 'r2']);
  });
});
