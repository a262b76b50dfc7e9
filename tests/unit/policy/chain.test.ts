import { describe, expect, test } from 'vitest';
import { createPolicyEngine, type PolicyAlert, type PolicySet } from '../../../runtime/engine/policy-engine.js';
import type { ChainAlert } from '../../../runtime/engine/chain.js';
import { MemoryStateStore } from '../../../runtime/engine/policy-state.js';
import { RULES, policies, proc, reconChain } from './fixtures.js';

const MIN = 60_000;

function run(set: PolicySet, events: Record<string, unknown>[], flush = true): ChainAlert[] {
  const engine = createPolicyEngine(RULES, set, { toleranceMs: 0 });
  const out: PolicyAlert[] = [];
  events.forEach((e, i) => engine.process(e, i, (a) => out.push(a)));
  if (flush) engine.flush((a) => out.push(a));
  return out.filter((a): a is ChainAlert => a.kind === 'chain');
}

const chain = policies({ chains: [reconChain()] });

describe('chains', () => {
  test('steps in order on one host within the window alert once with the step events', () => {
    const alerts = run(chain, [proc('whoami', 'WS1', 0), proc('ipconfig', 'WS1', 1000), proc('wmic', 'WS1', 2000), proc('nltest', 'WS1', 3000), proc('nltest', 'WS1', 4000)]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ key: { host: 'WS1' }, events: [0, 2, 3] });
  });

  test('steps out of order, on different hosts, or missing a step do not alert', () => {
    expect(run(chain, [proc('wmic', 'WS1', 0), proc('whoami', 'WS1', 1000), proc('nltest', 'WS1', 2000)])).toEqual([]);
    expect(run(chain, [proc('whoami', 'WS1', 0), proc('wmic', 'WS2', 1000), proc('nltest', 'WS1', 2000)])).toEqual([]);
    expect(run(chain, [proc('whoami', 'WS1', 0), proc('nltest', 'WS1', 2000)])).toEqual([]);
  });

  test('any event moves the newest event time, matched by a rule or not: steps behind it by more than the tolerance are late', () => {
    const unrelated = { ...proc('notepad', 'WS1', 10 * MIN), Image: 'C:\\Tools\\unrelated.exe' };
    expect(run(chain, [unrelated, proc('whoami', 'WS1', 0), proc('wmic', 'WS1', 1000), proc('nltest', 'WS1', 2000)])).toEqual([]);
    expect(run(chain, [proc('whoami', 'WS1', 0), proc('wmic', 'WS1', 1000), proc('nltest', 'WS1', 2000), unrelated])).toHaveLength(1);
  });

  test('window edge: last step exactly one window after the first alerts, one millisecond later does not', () => {
    expect(run(chain, [proc('whoami', 'WS1', 0), proc('wmic', 'WS1', 1000), proc('nltest', 'WS1', 10 * MIN)])).toHaveLength(1);
    expect(run(chain, [proc('whoami', 'WS1', 0), proc('wmic', 'WS1', 1000), proc('nltest', 'WS1', 10 * MIN + 1)])).toEqual([]);
  });

  test('a later first step restarts the run, so a chain that fits the window from it still alerts', () => {
    const events = [proc('whoami', 'WS1', 0), proc('whoami', 'WS1', 9 * MIN), proc('wmic', 'WS1', 10 * MIN), proc('nltest', 'WS1', 12 * MIN)];
    expect(run(chain, events)).toMatchObject([{ events: [1, 2, 3] }]);
  });

  test('a step needing a rule and a filter only advances on events matching both', () => {
    const c = reconChain({ steps: [{ refs: ['rule-whoami'] }, { refs: ['rule-wmic', 'filter:system'] }, { refs: ['rule-nltest'] }] });
    const filter = { ...RULES[0]!, id: 'filter:system', name: 'system', variants: [{ condition: { op: 'field' as const, field: 'User', tests: [{ t: 'str' as const, m: 'eq' as const, v: 'nt authority\\system' }] } }] };
    const set = policies({ chains: [c], filters: [filter] });
    expect(run(set, [proc('whoami', 'WS1', 0), proc('wmic', 'WS1', 1000), proc('nltest', 'WS1', 2000)])).toEqual([]);
    expect(run(set, [proc('whoami', 'WS1', 0), proc('wmic', 'WS1', 1000, { User: 'NT AUTHORITY\\SYSTEM' }), proc('nltest', 'WS1', 2000)])).toHaveLength(1);
  });

  describe('notFollowedBy', () => {
    const nfb = policies({ chains: [reconChain({ notFollowedBy: { refs: ['rule-ipconfig'] } })] });
    const steps = [proc('whoami', 'WS1', 0), proc('wmic', 'WS1', 1000), proc('nltest', 'WS1', 2000)];

    test('a completed chain fires once the window after its last step passes without the event', () => {
      expect(run(nfb, [...steps, proc('calc', 'WS1', 3000), proc('whoami', 'WS2', 2000 + 10 * MIN + 1)], false)).toHaveLength(1);
    });

    test('the event within the window after the last step cancels it (exactly at the edge too)', () => {
      expect(run(nfb, [...steps, proc('ipconfig', 'WS1', 2000 + 10 * MIN)])).toEqual([]);
      expect(run(nfb, [...steps, proc('ipconfig', 'WS1', 2000 + 10 * MIN + 1)])).toHaveLength(1);
    });

    test('a cancelling event that arrives late, within the tolerance, still cancels', () => {
      const engine = createPolicyEngine(RULES, nfb, { toleranceMs: 5000 });
      const out: PolicyAlert[] = [];
      // The next run's first step comes before the cancelling event, which is 4 s late.
      const events = [...steps, proc('whoami', 'WS1', 2000 + 10 * MIN + 3000), proc('ipconfig', 'WS1', 2000 + 10 * MIN - 1000)];
      events.forEach((e, i) => engine.process(e, i, (a) => out.push(a)));
      engine.flush((a) => out.push(a));
      expect(out.filter((a) => a.kind === 'chain')).toEqual([]);
    });

    test('at the end of input a waiting chain fires', () => {
      expect(run(nfb, steps, false)).toEqual([]);
      expect(run(nfb, steps, true)).toHaveLength(1);
    });
  });

  test('state per key stays bounded by the number of steps, and ended runs are evicted', () => {
    const store = new MemoryStateStore();
    const engine = createPolicyEngine(RULES, chain, { store, toleranceMs: 0 });
    for (let i = 0; i < 1000; i++) engine.process(proc(i % 2 ? 'wmic' : 'whoami', 'WS1', i * 100), i, () => undefined);
    const entry = store.entries('chain')[0]!;
    expect((JSON.parse(entry.value) as { runs: unknown[] }).runs.length).toBeLessThanOrEqual(2);
    for (let i = 0; i < 3000; i++) engine.process(proc('whoami', `H${i}`, 100_000 + i * 1000), 1000 + i, () => undefined);
    expect(store.count('chain')).toBeLessThan(700);
  });
});
