import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { compileFiles } from '../compiler/fixture.js';
import type { CompileResult } from '../../../compiler/index.js';

/**
 * One "reports" and one "does not report" case per policy check. The reporting case is the
 * golden example in examples/broken/<CODE>-<slug>/; the clean case is the same repository
 * with the one thing fixed.
 */

const BROKEN = path.resolve(__dirname, '../../../examples/broken');

function filesOf(name: string): Record<string, string> {
  const root = path.join(BROKEN, name);
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      const p = path.join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e)) out[path.relative(root, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}

function codes(result: CompileResult): string[] {
  return result.report.diagnostics.map((d) => d.code).filter((c) => c.startsWith('VG41'));
}

function spanText(result: CompileResult, code: string): string[] {
  return result.report.diagnostics.filter((d) => d.code === code).map((d) => result.sources.get(d.span.file)!.text.slice(d.span.start, d.span.end));
}

type Fix = (files: Record<string, string>) => Record<string, string>;
const edit = (file: string, from: string | RegExp, to: string): Fix => (files) => ({ ...files, [file]: files[file]!.replace(from, to) });

const CASES: readonly [string, string, string[], Fix][] = [
  ['VG4101-threat-score-reference', 'VG4101', ['33333333-3333-4333-8333-333333333333'], edit('threat-scores/recon.yaml', /\n    - rule: 33333333[^\n]*\n      score: 10/, '')],
  ['VG4102-rule-not-deployed', 'VG4102', ['22222222-2222-4222-8222-222222222222'], edit('packages/recon.yaml', '      - 11111111-1111-4111-8111-111111111111', '      - 11111111-1111-4111-8111-111111111111\n      - 22222222-2222-4222-8222-222222222222')],
  ['VG4103-unreachable-threshold', 'VG4103', ['100'], edit('threat-scores/recon.yaml', 'threshold: 100', 'threshold: 65')],
  ['VG4104-overlapping-scores', 'VG4104', ['22222222-2222-4222-8222-222222222222', 'rule: 11111111-1111-4111-8111-111111111111\n      score: 30\n'], (f) => {
    const fixed = edit('threat-scores/recon.yaml', /\n    - rule: 11111111[^\n]*\n      score: 30/, '')(f);
    return edit('threat-scores/recon-again.yaml', 'key: host', 'key: user')(fixed);
  }],
  ['VG4105-rule-reference-cycle', 'VG4105', ['- recon_whoami\n        - whoami_burst_repeat\n'], edit('rules/correlations.yml', '        - whoami_burst_repeat\n', '')],
  ['VG4106-impossible-window', 'VG4106', ['0s'], edit('chains/instant.yaml', 'window: 0s', 'window: 1m')],
  ['VG4107-score-selects-nothing', 'VG4107', ['attack.dicovery'], edit('threat-scores/recon.yaml', 'attack.dicovery', 'attack.discovery')],
];

describe('policy checks', () => {
  test.each(CASES)('%s reports, and stays quiet once fixed', async (name, code, spans, fix) => {
    const files = filesOf(name);
    const broken = await compileFiles(files);
    expect(codes(broken)).toEqual(spans.map(() => code));
    expect(spanText(broken, code).sort()).toEqual([...spans].sort());
    const fixed = await compileFiles(fix(files));
    expect(fixed.report.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  });

  test('a single-entry score counts repeats by design: no VG4103 unless its score is 0', async () => {
    const files = filesOf('VG4103-unreachable-threshold');
    const counting = edit('threat-scores/recon.yaml', /\n    - rule: 22222222[^\n]*\n      score: 45/, '')(files);
    expect(codes(await compileFiles(counting))).toEqual([]);
    expect(codes(await compileFiles(edit('threat-scores/recon.yaml', 'score: 20', 'score: 0')(counting)))).toEqual(['VG4103']);
  });

  test('VG4106: a correlation step with an upper bound needs its whole timespan', async () => {
    const files = filesOf('VG4106-impossible-window');
    const corr = `title: Few whoami\nid: 66666666-6666-4666-8666-666666666666\nname: few_whoami\ncorrelation:\n    type: event_count\n    rules:\n        - recon_whoami\n    group-by:\n        - Hostname\n    timespan: 1h\n    condition:\n        lt: 3\n`;
    const withCorr = { ...edit('chains/instant.yaml', /window: 0s/, 'window: 10m')(files), 'rules/few.yml': corr };
    const chained = edit('chains/instant.yaml', '11111111-1111-4111-8111-111111111111', '66666666-6666-4666-8666-666666666666')(withCorr);
    const result = await compileFiles(chained);
    expect(codes(result)).toEqual(['VG4106']);
    expect(result.report.diagnostics.find((d) => d.code === 'VG4106')!.message).toMatch(/step 1 is correlation `66666666-6666-4666-8666-666666666666`.*1h timespan.*10m window/);
    expect(codes(await compileFiles(edit('chains/instant.yaml', 'window: 10m', 'window: 2h')(chained)))).toEqual([]);
  });

  test('VG4105: a correlation that lists itself is a cycle of one', async () => {
    const files = filesOf('VG4105-rule-reference-cycle');
    const self = { 'rules/whoami.yml': files['rules/whoami.yml']!, 'rules/self.yml': `title: Self\nid: 77777777-7777-4777-8777-777777777777\nname: self_corr\ncorrelation:\n    type: event_count\n    rules:\n        - self_corr\n        - recon_whoami\n    group-by:\n        - Hostname\n    timespan: 10m\n    condition:\n        gte: 2\n` };
    const result = await compileFiles(self);
    expect(codes(result)).toEqual(['VG4105']);
    expect(result.report.diagnostics[0]!.message).toBe('Sigma correlation `self_corr` refers to itself: `self_corr` → `self_corr`');
  });

  test('scores naming unknown rules or outside 0-100 are rejected (resolve VG3002, schema VG2xxx)', async () => {
    const files = filesOf('VG4103-unreachable-threshold');
    const unknown = await compileFiles(edit('threat-scores/recon.yaml', '22222222-2222-4222-8222-222222222222', '99999999-9999-4999-8999-999999999999')(files));
    expect(unknown.ok).toBe(false);
    expect(unknown.report.diagnostics.map((d) => d.code)).toContain('VG3002');
    for (const bad of ['101', '-1']) {
      const out = await compileFiles(edit('threat-scores/recon.yaml', 'score: 45', `score: ${bad}`)(files));
      expect(out.ok).toBe(false);
      expect(out.report.diagnostics.filter((d) => d.severity === 'error').every((d) => d.code.startsWith('VG2'))).toBe(true);
    }
  });
});
