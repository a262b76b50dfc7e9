import { describe, expect, test } from 'vitest';
import { compileRuleSet } from '../../../runtime/engine/evaluate.js';
import { pipelineFromData } from '../../../compiler/sigma/pipelines.js';
import { compileText } from '../sigma/compile-helper.js';
import type { Rule } from '../../../runtime/engine/ir.js';

const pipeline = pipelineFromData(
  {
    kind: 'Pipeline',
    spec: {
      logsources: [
        {
          logsource: { product: 'windows', category: 'process_creation' },
          variants: [
            { channel: 'Microsoft-Windows-Sysmon/Operational', eventIds: [1] },
            { channel: 'Security', eventIds: [4688], fieldMap: { Image: 'NewProcessName' } },
          ],
        },
        { logsource: { product: 'windows', service: 'security' }, variants: [{ channel: 'Security' }] },
      ],
    },
  },
  'test',
);

function rulesOf(text: string): Rule[] {
  const { rules, diags } = compileText(text, { pipelineData: pipeline });
  expect(diags.items).toEqual([]);
  return rules;
}

const proc = (id: string, image: string) =>
  `title: ${id}\nid: ${id}\nlogsource: { product: windows, category: process_creation }\ndetection:\n  sel:\n    Image|endswith: '${image}'\n  condition: sel\n`;
const logon = `title: logon\nid: logon\nlogsource: { product: windows, service: security }\ndetection:\n  sel:\n    EventID: 4625\n  condition: sel\n`;
const any = `title: any\nid: any\nlogsource: { product: linux }\ndetection:\n  sel:\n    Foo|re: 'x'\n  condition: sel\n`;

function run(rules: Rule[], event: unknown): { ids: string[]; tests: number } {
  const set = compileRuleSet(rules);
  const ids: string[] = [];
  set.evaluate(event, (i) => ids.push(set.rules[i]!.id));
  return { ids, tests: set.stats.tests };
}

describe('rule index and prefilter', () => {
  const rules = rulesOf([proc('whoami', '\\whoami.exe'), proc('net', '\\net.exe'), proc('ipconfig', '\\ipconfig.exe'), logon, any].join('---\n'));
  test('a Sysmon process creation meets only rules that can match it', () => {
    const r = run(rules, { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Image: 'C:\\Windows\\System32\\whoami.exe' });
    expect(r.ids).toEqual(['whoami']);
    // whoami (prefilter hit) and the unscoped regex rule; net and ipconfig are skipped by their literals, logon by its event id.
    expect(r.tests).toBe(2);
  });
  test('the Security variant uses its own field names', () => {
    expect(run(rules, { Channel: 'Security', EventID: 4688, NewProcessName: 'C:\\x\\NET.EXE' }).ids).toEqual(['net']);
    expect(run(rules, { Channel: 'Security', EventID: 4688, Image: 'C:\\x\\net.exe' }).ids).toEqual([]);
  });
  test('channels compare case-insensitively; event ids from the detection are indexed', () => {
    const r = run(rules, { Channel: 'security', EventID: '4625' });
    expect(r.ids).toEqual(['logon']);
    expect(run(rules, { Channel: 'Security', EventID: 4624 }).tests).toBe(1);
  });
  test('nested EVTX events are indexed the same way', () => {
    const evtx = { Event: { System: { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1 }, EventData: { Image: 'C:\\whoami.exe' } } };
    expect(run(rules, evtx).ids).toEqual(['whoami']);
  });
  test('a rule whose logsource the pipeline does not know matches any event', () => {
    expect(run(rules, { Channel: 'Whatever', EventID: 7, Foo: 'xyz' }).ids).toEqual(['any']);
  });
  test('the prefilter never changes results', () => {
    const events = [
      { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Image: 'C:\\net.exe' },
      { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Image: ['a', 'C:\\WHOAMI.EXE'] },
      { Channel: 'Security', EventID: 4688, NewProcessName: 'whoami.exe' },
    ];
    for (const e of events) {
      const a = compileRuleSet(rules);
      const b = compileRuleSet(rules, { prefilter: false });
      const got = (s: typeof a) => {
        const out: number[] = [];
        s.evaluate(e, (i) => out.push(i));
        return out;
      };
      expect(got(a)).toEqual(got(b));
    }
  });
  test('a variant whose condition is the constant false is in no bucket and never tested', () => {
    const never: Rule = { type: 'detection', id: 'never', title: 'never', logsource: {}, attribution: {}, variants: [{ condition: { op: 'const', value: false } }] };
    const always: Rule = { type: 'detection', id: 'always', title: 'always', logsource: {}, attribution: {}, variants: [{ condition: { op: 'const', value: true } }] };
    expect(run([never, always], { Channel: 'Security', EventID: 1 })).toEqual({ ids: ['always'], tests: 1 });
  });
  test('literals in a field the bucket does not scan: tested only when that field is present', () => {
    // One variant relies on CommandLine, too few for the bucket to scan the field.
    const only = rulesOf(`title: cmd\nid: cmd\nlogsource: { product: windows, category: process_creation }\ndetection:\n  sel:\n    CommandLine|contains: 'mimikatz'\n  condition: sel\n`);
    const sysmon = { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1 };
    expect(run(only, { ...sysmon, Image: 'x' })).toEqual({ ids: [], tests: 0 });
    expect(run(only, { ...sysmon, CommandLine: 'other' })).toEqual({ ids: [], tests: 1 });
    expect(run(only, { ...sysmon, CommandLine: 'run MIMIKATZ' })).toEqual({ ids: ['cmd'], tests: 1 });
    expect(run(only, { ...sysmon, CommandLine: ['a', 'mimikatz'] })).toEqual({ ids: ['cmd'], tests: 1 });
    expect(run(only, { Event: { System: { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1 }, EventData: { CommandLine: 'mimikatz' } } }).ids).toEqual(['cmd']);
  });
  test('scanned list fields: every element the matchers read is scanned, booleans included', () => {
    const flag = (id: string, v: string) => `title: ${id}\nid: ${id}\nlogsource: { product: windows, category: process_creation }\ndetection:\n  sel:\n    Flags|contains: '${v}'\n  condition: sel\n`;
    const rules3 = rulesOf([flag('t', 'tru'), flag('f', 'fals'), flag('x', 'xyz')].join('---\n'));
    const e = { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Flags: ['a', true, 17] };
    expect(run(rules3, e).ids).toEqual(['t']);
    expect(run(rules3, { ...e, Flags: [false, 'XYZ'] }).ids).toEqual(['f', 'x']);
  });
});

