import { describe, expect, test } from 'vitest';
import { createPolicyEngine, type PolicyAlert, type PolicySet } from '../../../runtime/engine/policy-engine.js';
import type { AnomalyAlert } from '../../../runtime/engine/anomaly.js';
import type { AnomalyIR } from '../../../runtime/engine/policy-ir.js';
import { GlobalBaseline } from '../../../runtime/collector/baseline.js';
import { RULES, policies, proc } from './fixtures.js';

const DAY = 86_400_000;

const parentChild = (over: Partial<AnomalyIR> = {}): AnomalyIR => ({
  type: 'anomaly',
  id: 'new-parent-child',
  relationship: 'parent-child',
  key: ['host', 'ParentImage', 'Image'],
  eventIds: [1],
  learningMs: DAY,
  suppressOnCollector: false,
  ...over,
});

function run(set: PolicySet, events: Record<string, unknown>[], collector?: GlobalBaseline): AnomalyAlert[] {
  const engine = createPolicyEngine(RULES, set, collector ? { collector } : {});
  const out: PolicyAlert[] = [];
  events.forEach((e, i) => engine.process(e, i, (a) => out.push(a)));
  return out.filter((a): a is AnomalyAlert => a.kind === 'anomaly');
}

describe('anomalies', () => {
  test('nothing alerts during the learning period; a new pair after it alerts once; a learned pair never', () => {
    const set = policies({ anomalies: [parentChild()] });
    const events = [
      proc('calc', 'WS1', 0),
      proc('notepad', 'WS1', DAY - 1),
      proc('calc', 'WS1', DAY + 5),
      proc('mspaint', 'WS1', DAY),
      proc('mspaint', 'WS1', DAY + 10),
    ];
    const alerts = run(set, events);
    expect(alerts.map((a) => a.event)).toEqual([3]);
    expect(alerts[0]!.key).toEqual({ host: 'WS1', ParentImage: 'C:\\Windows\\System32\\cmd.exe', Image: 'C:\\Windows\\System32\\mspaint.exe' });
  });

  test('each host learns on its own; without the collector a pair new to each host alerts on each', () => {
    const set = policies({ anomalies: [parentChild()] });
    const events = [proc('calc', 'A', 0), proc('calc', 'B', 0), proc('evil', 'A', 2 * DAY), proc('evil', 'B', 2 * DAY + 1)];
    expect(run(set, events).map((a) => a.key.host)).toEqual(['A', 'B']);
  });

  test('suppressed on the collector: a pair already reported by host A does not alert on host B', () => {
    const set = policies({ anomalies: [parentChild({ suppressOnCollector: true })] });
    const events = [proc('calc', 'A', 0), proc('calc', 'B', 0), proc('evil', 'A', 2 * DAY), proc('evil', 'B', 2 * DAY + 1), proc('calc', 'C', 3 * DAY)];
    const collector = new GlobalBaseline();
    expect(run(set, events, collector).map((a) => a.key.host)).toEqual(['A']);
    // What host A learned during its learning period is known fleet-wide, so it does not alert on B either.
    expect(collector.size).toBe(2);
  });

  test('process/DLL (Sysmon 7) and user/pipe relationships, and first-seen on a custom tuple', () => {
    const dll = parentChild({ id: 'dll', relationship: 'process-dll', key: ['host', 'Image', 'ImageLoaded'], eventIds: [7], learningMs: 0 });
    const pipe = parentChild({ id: 'pipe', relationship: 'user-pipe', key: ['host', 'User', 'PipeName'], eventIds: [17, 18], learningMs: 0 });
    const logon = parentChild({ id: 'logon', relationship: 'first-seen', key: ['TargetUserName'], learningMs: 0, filter: 'rule-whoami' });
    delete (logon as { eventIds?: number[] }).eventIds;
    const set = policies({ anomalies: [dll, pipe, logon] });
    const events = [
      proc('x', 'WS1', 0, { EventID: 7, ImageLoaded: 'C:\\evil.dll' }),
      proc('x', 'WS1', 1, { EventID: 7, ImageLoaded: 'C:\\evil.dll' }),
      proc('x', 'WS1', 2, { EventID: 17, PipeName: '\\msagent_12' }),
      proc('x', 'WS1', 3, { EventID: 1 }),
      proc('whoami', 'WS1', 4, { TargetUserName: 'bob' }),
      proc('whoami', 'WS1', 5, { TargetUserName: 'bob' }),
    ];
    expect(run(set, events).map((a) => [a.policy.id, a.event])).toEqual([['dll', 0], ['pipe', 2], ['logon', 4]]);
  });

  test('an anomaly with neither a filter nor event ids watches every event, matched by a rule or not', () => {
    const anyLogon = parentChild({ id: 'new-source', relationship: 'first-seen', key: ['TargetUserName', 'IpAddress'], learningMs: 0 });
    delete (anyLogon as { eventIds?: number[] }).eventIds;
    const logon = (ip: string, ms: number) => ({ EventID: 4624, Computer: 'WS1', TargetUserName: 'alice', IpAddress: ip, '@timestamp': new Date(ms).toISOString() });
    const alerts = run(policies({ anomalies: [anyLogon] }), [logon('10.0.0.1', 0), logon('10.0.0.1', 1000), logon('10.9.9.9', 2000)]);
    expect(alerts.map((a) => [a.event, a.key])).toEqual([[0, { TargetUserName: 'alice', IpAddress: '10.0.0.1' }], [2, { TargetUserName: 'alice', IpAddress: '10.9.9.9' }]]);
  });
});
