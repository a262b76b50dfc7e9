import { describe, expect, test } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { compileText, codesAt, rule } from './compile-helper.js';
import { parseTimespan } from '../../../compiler/sigma/compile-correlation.js';
import type { DetectionRule, Expr } from '../../../runtime/engine/ir.js';

function condition(text: string): Expr {
  const { rules, diags } = compileText(text);
  expect(diags.items.filter((d) => d.severity === 'error')).toEqual([]);
  return (rules[0] as DetectionRule).variants[0]!.condition;
}

describe('compileSigmaDoc: diagnostics with file, line and column', () => {
  test('an unknown modifier points at the modifier inside the key, with a suggestion', () => {
    const text = rule('  sel:\n    Image|endswiht: x.exe\n  condition: sel');
    const { rules, diags, source } = compileText(text);
    expect(rules).toEqual([]);
    expect(codesAt(diags, source)).toEqual(['VG6001@6:11']);
    expect(diags.items[0]!.hint).toContain('endswith');
  });
  test('conflicting modifiers', () => {
    const { diags, source } = compileText(rule('  sel:\n    Image|re|contains: x\n  condition: sel'));
    expect(codesAt(diags, source)).toEqual(['VG6002@6:14']);
  });
  test('a condition error points inside the plain scalar', () => {
    const { diags, source } = compileText(rule('  sel:\n    Image: x\n  condition: sel and (sel or'));
    expect(codesAt(diags, source)).toEqual(['VG6003@7:29']);
  });
  test('inside a quoted scalar the quote is skipped', () => {
    const { diags, source } = compileText(rule("  sel:\n    Image: x\n  condition: 'sel and nope'"));
    expect(codesAt(diags, source)).toEqual(['VG6004@7:23']);
    expect(diags.items[0]!.hint).toContain('sel');
  });
  test('a block scalar gets the whole scalar and the inner column in the message', () => {
    const { diags, source } = compileText(rule('  sel:\n    Image: x\n  condition: >-\n    sel and\n    (sel'));
    expect(codesAt(diags, source)).toEqual(['VG6003@7:14']);
    expect(diags.items[0]!.message).toContain('column');
  });
  test('a pattern that matches no selection', () => {
    const { diags, source } = compileText(rule('  sel:\n    Image: x\n  condition: 1 of filter_*'));
    expect(codesAt(diags, source)).toEqual(['VG6005@7:14']);
  });
  test('invalid regex, cidr, exists value and numeric value', () => {
    const { diags, source } = compileText(
      rule("  sel:\n    A|re: '(a'\n    B|cidr: 10.0.0.0/33\n    C|exists: yes please\n    D|gt: ten\n  condition: sel"),
    );
    expect(codesAt(diags, source)).toEqual(['VG6006@6:11', 'VG6007@7:13', 'VG6008@8:15', 'VG6008@9:11']);
  });
  test('values a bundle cannot carry are the rule\'s error (VG6008), never an internal one', () => {
    const infinite = compileText(rule("  sel:\n    D|gt: '1e999'\n  condition: sel"));
    expect(codesAt(infinite.diags, infinite.source)).toEqual(['VG6008@6:11']);
    expect(infinite.diags.items[0]!.message).toBe('`D|gt` expects a finite number, got `1e999`');
    // A `\\uD800` escape in YAML gives a lone surrogate, which UTF-8 (and canonical JSON) cannot encode.
    const surrogate = compileText(`title: "Bad \\ud800 title"\n${rule('  sel:\n    A: x\n  condition: sel').replace(/^title: .*\n/, '')}`);
    expect(surrogate.rules).toEqual([]);
    expect(surrogate.diags.items.map((d) => [d.code, d.message])).toEqual([['VG6008', expect.stringContaining('unpaired surrogate')]]);
  });
  test('a timespan too long for a number is no timespan', () => {
    expect(parseTimespan('90m')).toBe(5_400_000);
    expect(parseTimespan(`${'9'.repeat(400)}d`)).toBeUndefined();
  });
  test('lookaround cannot run in linear time and is refused', () => {
    const { diags } = compileText(rule("  sel:\n    A|re: 'a(?=b)'\n  condition: sel"));
    expect(diags.items.map((d) => d.code)).toEqual(['VG6006']);
  });
  test('missing fields and the retired aggregation syntax', () => {
    expect(compileText('title: t\nlogsource: {}\n').diags.items.map((d) => d.code)).toEqual(['VG6009']);
    const { diags } = compileText(rule('  sel:\n    A: x\n  condition: sel | count() > 3'));
    expect(diags.items.map((d) => d.code)).toEqual(['VG6019']);
  });
  test('unquoted YAML dates stay strings and are not errors', () => {
    const { rules, diags } = compileText(rule('  sel:\n    A: 2024-01-02\n  condition: sel', 'date: 2023-01-01\nmodified: 2024/02/03\n'));
    expect(diags.items).toEqual([]);
    const c = (rules[0] as DetectionRule).variants[0]!.condition;
    expect(c).toEqual({ op: 'field', field: 'A', tests: [{ t: 'str', m: 'eq', v: '2024-01-02' }] });
  });
});

describe('compileSigmaDoc: lowering', () => {
  test('wildcards become the cheapest string test; escapes stay literal', () => {
    expect(condition(rule("  sel:\n    A: ['*x*', 'x*', '*x', 'a*b', 'a\\*b', 'C:\\\\Temp\\\\']\n  condition: sel"))).toEqual({
      op: 'field',
      field: 'A',
      tests: [
        { t: 'str', m: 'contains', v: 'x' },
        { t: 'str', m: 'startswith', v: 'x' },
        { t: 'str', m: 'endswith', v: 'x' },
        { t: 'glob', v: 'a*b' },
        { t: 'str', m: 'eq', v: 'a*b' },
        { t: 'str', m: 'eq', v: 'c:\\temp\\' },
      ],
    });
  });
  test('a trailing backslash survives contains', () => {
    expect(condition(rule("  sel:\n    A|contains: '\\Run\\'\n  condition: sel"))).toEqual({ op: 'field', field: 'A', tests: [{ t: 'str', m: 'contains', v: '\\run\\' }] });
  });
  test('encodings are lowered to literal alternatives', () => {
    const c = condition(rule("  sel:\n    A|wide|base64offset|contains: 'ping'\n  condition: sel"));
    expect(c).toMatchObject({ op: 'field', tests: [{ m: 'contains' }, { m: 'contains' }, { m: 'contains' }] });
  });
  test('all makes an AND of per-value tests; cased keeps case', () => {
    expect(condition(rule("  sel:\n    A|contains|all|cased: ['Ab', 'Cd']\n  condition: sel"))).toEqual({
      op: 'and',
      args: [
        { op: 'field', field: 'A', tests: [{ t: 'str', m: 'contains', v: 'Ab', cased: true }] },
        { op: 'field', field: 'A', tests: [{ t: 'str', m: 'contains', v: 'Cd', cased: true }] },
      ],
    });
  });
  test('expand uses the placeholder values and warns when there are none', () => {
    const text = rule("  sel:\n    User|expand: '%admins%'\n  condition: sel");
    const ok = compileText(text, { placeholders: { admins: ['alice', 'b*b'] } });
    expect((ok.rules[0] as DetectionRule).variants[0]!.condition).toEqual({ op: 'field', field: 'User', tests: [{ t: 'str', m: 'eq', v: 'alice' }, { t: 'str', m: 'eq', v: 'b*b' }] });
    const missing = compileText(text);
    expect(missing.diags.items.map((d) => `${d.code}:${d.severity}`)).toEqual(['VG6012:warning']);
    expect((missing.rules[0] as DetectionRule).variants[0]!.condition).toEqual({ op: 'const', value: false });
  });
  test('EventID selections are lifted into the variant for the index', () => {
    const { rules } = compileText(rule('  sel:\n    EventID: [4624, 4625]\n    LogonType: 3\n  condition: sel'));
    expect((rules[0] as DetectionRule).variants[0]!.eventIds).toEqual([4624, 4625]);
  });
  test('prefilter keeps the most selective necessary literals', () => {
    const { rules } = compileText(rule("  sel:\n    Image|endswith: '\\whoami.exe'\n    CommandLine|contains: ['/all', '/priv']\n  condition: sel"));
    expect((rules[0] as DetectionRule).variants[0]!.prefilter).toEqual([{ field: 'Image', needle: '\\whoami.exe' }]);
  });
  test('a caller field map (a LogSource policy) renames rule fields on top of the pipeline', () => {
    const { rules } = compileText(rule('  sel:\n    Image: x\n  condition: sel'), { fieldMap: { Image: 'process.executable' } });
    expect((rules[0] as DetectionRule).variants[0]!.condition).toMatchObject({ op: 'field', field: 'process.executable' });
  });
  test('attribution travels with the rule', () => {
    const { rules } = compileText(rule('  sel:\n    A: x\n  condition: sel', 'author: Jane Doe\nreferences:\n  - https://example.org/x\nlicense: DRL-1.1\n'));
    expect(rules[0]!.type === 'detection' && rules[0]!.attribution).toEqual({ author: 'Jane Doe', references: ['https://example.org/x'], license: 'DRL-1.1', source: 'rules/test.yml' });
  });
  test('correlations compile, and their errors are reported', () => {
    const ok = compileText('title: c\nid: c1\ncorrelation:\n  type: event_count\n  rules: [r1]\n  group-by: [User]\n  timespan: 5m\n  condition: { gte: 3 }\n');
    expect(ok.rules[0]).toMatchObject({ type: 'correlation', correlation: 'event_count', timespanMs: 300000, condition: { gte: 3 }, generate: false });
    const bad = compileText('title: c\ncorrelation:\n  type: event_cnt\n  rules: [r1]\n  timespan: 5 minutes\n');
    expect(bad.diags.items.map((d) => d.code).sort()).toEqual(['VG6013', 'VG6014']);
  });
  test('the IR validates against schema/detection-ir.schema.json', () => {
    const schema = JSON.parse(readFileSync('schema/detection-ir.schema.json', 'utf8')) as object;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const { rules } = compileText(
      rule("  sel:\n    A|contains: x\n    B|re|i: 'a.c'\n    C|cidr: 10.0.0.0/8\n    D|gt: 3\n    E|exists: true\n    F: null\n    G|fieldref: A\n    H|hour: 3\n  kw:\n    - evil\n  condition: sel and not kw") +
        '---\ntitle: c\nid: c1\ncorrelation:\n  type: temporal\n  rules: [r1]\n  group-by: [User]\n  timespan: 5m\n' +
        '---\ntitle: f\nid: f1\nlogsource: { product: test }\nfilter:\n  rules: [r1]\n  sel:\n    U: admin\n  condition: not sel\n',
    );
    expect(rules).toHaveLength(3);
    expect(validate({ version: 1, rules }), JSON.stringify(validate.errors)).toBe(true);
  });
});
