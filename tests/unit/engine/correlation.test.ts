import { describe, expect, test } from 'vitest';
import { runRules as run } from './run-rules.js';

const base = (id: string, value: string) =>
  `title: ${id}\nid: ${id}\nname: ${id}\nlogsource: { product: test }\ndetection:\n  sel:\n    Action: ${value}\n  condition: sel\n`;

const t = (sec: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, sec)).toISOString();
const corr = (body: string) => `---\ntitle: corr\nid: corr\ncorrelation:\n${body}`;

describe('correlations', () => {
  test('event_count with group-by and timespan; base matches suppressed unless generate', () => {
    const text = base('fail', 'fail') + corr('  type: event_count\n  rules: [fail]\n  group-by: [User]\n  timespan: 10s\n  condition: { gte: 3 }\n');
    const events = [0, 1, 2, 30, 31].map((s, i) => ({ Action: 'fail', User: i < 3 ? 'a' : 'b', '@timestamp': t(s) }));
    events.splice(2, 0, { Action: 'fail', User: 'b', '@timestamp': t(1) });
    const alerts = run(text, events);
    expect(alerts.map((a) => a.kind)).toEqual(['correlation']);
    expect(alerts[0]).toMatchObject({ kind: 'correlation', group: { User: 'a' }, events: [0, 1, 3], value: 3 });
    const withGenerate = run(text.replace('timespan', 'generate: true\n  timespan'), events);
    expect(withGenerate.filter((a) => a.kind === 'detection')).toHaveLength(6);
  });
  test('events outside the timespan do not count', () => {
    const text = base('fail', 'fail') + corr('  type: event_count\n  rules: [fail]\n  group-by: [User]\n  timespan: 10s\n  condition: { gte: 2 }\n');
    expect(run(text, [{ Action: 'fail', User: 'a', '@timestamp': t(0) }, { Action: 'fail', User: 'a', '@timestamp': t(20) }])).toEqual([]);
  });
  test('value_count counts distinct values', () => {
    const text = base('fail', 'fail') + corr('  type: value_count\n  rules: [fail]\n  group-by: [Host]\n  timespan: 1m\n  condition: { field: User, gte: 3 }\n');
    const ev = (u: string, s: number) => ({ Action: 'fail', Host: 'h', User: u, '@timestamp': t(s) });
    expect(run(text, [ev('a', 0), ev('a', 1), ev('b', 2)])).toEqual([]);
    expect(run(text, [ev('a', 0), ev('b', 1), ev('c', 2)])).toMatchObject([{ kind: 'correlation', value: 3, group: { Host: 'h' } }]);
  });
  test('temporal needs every rule in the window; temporal_ordered also their order', () => {
    const rules = base('a', 'a') + '---\n' + base('b', 'b');
    const ev = (x: string, s: number) => ({ Action: x, Host: 'h', '@timestamp': t(s) });
    const temporal = rules + corr('  type: temporal\n  rules: [a, b]\n  group-by: [Host]\n  timespan: 1m\n');
    expect(run(temporal, [ev('b', 0), ev('a', 5)])).toMatchObject([{ kind: 'correlation', events: [0, 1] }]);
    const ordered = rules + corr('  type: temporal_ordered\n  rules: [a, b]\n  group-by: [Host]\n  timespan: 1m\n');
    expect(run(ordered, [ev('b', 0), ev('a', 5)])).toEqual([]);
    expect(run(ordered, [ev('b', 0), ev('a', 5), ev('b', 6)])).toMatchObject([{ kind: 'correlation', events: [1, 2] }]);
  });
  test('value_sum and value_avg aggregate a numeric field', () => {
    const ev = (n: number | string, s: number) => ({ Action: 'x', Host: 'h', Bytes: n, '@timestamp': t(s) });
    const sum = base('x', 'x') + corr('  type: value_sum\n  rules: [x]\n  group-by: [Host]\n  timespan: 1m\n  condition: { field: Bytes, gt: 100 }\n');
    expect(run(sum, [ev(60, 0), ev('50', 1)])).toMatchObject([{ value: 110 }]);
    const avg = base('x', 'x') + corr('  type: value_avg\n  rules: [x]\n  group-by: [Host]\n  timespan: 1m\n  condition: { field: Bytes, gte: 50 }\n');
    expect(run(avg, [ev(10, 0), ev(90, 1)])).toMatchObject([{ value: 50 }]);
  });
  test('an upper bound is judged when the window closes', () => {
    const text = base('x', 'x') + corr('  type: event_count\n  rules: [x]\n  group-by: [Host]\n  timespan: 10s\n  condition: { lt: 3 }\n');
    const ev = (s: number) => ({ Action: 'x', Host: 'h', '@timestamp': t(s) });
    expect(run(text, [ev(0), ev(1), ev(2)])).toEqual([]);
    expect(run(text, [ev(0), ev(1)])).toMatchObject([{ value: 2 }]);
  });
  test('aliases may name a rule referenced by id', () => {
    const rules = base('a', 'a') + '---\n' + base('b', 'b').replace('id: b\nname: b', 'id: b-id\nname: b');
    const text = rules + corr('  type: temporal\n  rules: [a, b-id]\n  group-by: [ip]\n  timespan: 1m\n  aliases:\n    ip:\n      a: SrcIp\n      b: DstIp\n');
    expect(run(text, [{ Action: 'a', SrcIp: '1.2.3.4', '@timestamp': t(0) }, { Action: 'b', DstIp: '1.2.3.4', '@timestamp': t(1) }])).toMatchObject([{ group: { ip: '1.2.3.4' } }]);
  });
  test('aliases map one group-by name to different fields per rule', () => {
    const rules = base('a', 'a') + '---\n' + base('b', 'b');
    const text = rules + corr('  type: temporal\n  rules: [a, b]\n  group-by: [ip]\n  timespan: 1m\n  aliases:\n    ip:\n      a: SrcIp\n      b: DstIp\n');
    expect(run(text, [{ Action: 'a', SrcIp: '1.2.3.4', '@timestamp': t(0) }, { Action: 'b', DstIp: '1.2.3.4', '@timestamp': t(1) }])).toMatchObject([{ group: { ip: '1.2.3.4' } }]);
  });

  test('an event that arrives out of order counts by its own time: the same alerts as in time order', () => {
    const text = base('fail', 'fail') + corr('  type: event_count\n  rules: [fail]\n  group-by: [User]\n  timespan: 5m\n  condition: { gte: 3 }\n');
    const at = (sec: number) => ({ Action: 'fail', User: 'a', '@timestamp': t(sec) });
    const inOrder = run(text, [at(0), at(100), at(350)]).filter((a) => a.kind !== 'detection');
    const shuffled = run(text, [at(100), at(0), at(350)]).filter((a) => a.kind !== 'detection');
    expect(inOrder).toEqual([]);
    expect(shuffled).toEqual([]);
    // Three within five minutes, whatever the order they come in.
    expect(run(text, [at(100), at(0), at(250)]).filter((a) => a.kind !== 'detection')).toHaveLength(1);
  });
});
