import { describe, expect, test } from 'vitest';
import { parseDocument } from 'yaml';
import { packageRuleTests, ruleTests, runRuleTests } from '../../../compiler/checks/rule-tests.js';
import { DiagnosticList } from '../../../compiler/reporter.js';
import { lineCol } from '../../../compiler/source.js';
import { compileText, sourceOf } from './compile-helper.js';

const ruleText = "title: whoami\nid: w1\nlogsource: { product: test }\ndetection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\n";

function check(testsText: string, path = 'rules/whoami.tests.yml') {
  const { rules } = compileText(ruleText);
  const source = sourceOf(testsText, path);
  const diags = new DiagnosticList();
  ruleTests({ tests: [{ source, doc: parseDocument(testsText) }], rules: rules.map((r) => ({ ...r, attribution: { source: 'rules/whoami.yml' } })) }, diags);
  return diags.items.map((d) => `${d.code}@${lineCol(source, d.span.start).line}`);
}

describe('rule tests (VG6020)', () => {
  test('passing positive and negative samples report nothing', () => {
    expect(check("rule: w1\ntests:\n  - name: hit\n    event: { Image: 'C:\\WHOAMI.exe' }\n  - name: miss\n    match: false\n    event: { Image: 'C:\\ipconfig.exe' }\n")).toEqual([]);
  });
  test('each failing sample is reported at its own location', () => {
    expect(check("rule: w1\ntests:\n  - name: hit\n    event: { Image: 'C:\\ipconfig.exe' }\n  - name: miss\n    match: false\n    event: { Image: 'C:\\whoami.exe' }\n")).toEqual(['VG6020@3', 'VG6020@5']);
  });
  test('a sidecar without `rule` tests the rule it is named after', () => {
    expect(check("tests:\n  - name: hit\n    event: { Image: 'C:\\ipconfig.exe' }\n")).toEqual(['VG6020@2']);
  });
  test('unknown rules and malformed samples are diagnostics', () => {
    expect(check('rule: nope\ntests: []\n')).toEqual(['VG6022@1']);
    expect(check('rule: w1\ntests:\n  - name: x\n')).toEqual(['VG6021@3']);
  });
});

describe('rule tests in a Package (spec.tests)', () => {
  test('expectMatches counts matching events', () => {
    const { rules } = compileText(ruleText);
    const text = "apiVersion: vigil/v1\nkind: Package\nmetadata: { name: p }\nspec:\n  tests:\n    - name: two whoamis\n      rule: w1\n      events:\n        - { Image: 'C:\\whoami.exe' }\n        - { Image: 'C:\\cmd.exe' }\n      expectMatches: 2\n    - name: one\n      rule: w1\n      events: [{ Image: 'C:\\whoami.exe' }]\n      expectMatches: 1\n";
    const source = sourceOf(text, 'packages/p.yaml');
    const diags = new DiagnosticList();
    runRuleTests(packageRuleTests(source, parseDocument(text), diags), rules, diags);
    expect(diags.items.map((d) => `${d.code}@${lineCol(source, d.span.start).line}`)).toEqual(['VG6020@6']);
    expect(diags.items[0]!.message).toContain('expected 2 matching events, got 1');
  });
});
