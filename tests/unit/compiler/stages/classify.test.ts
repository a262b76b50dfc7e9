import { describe, expect, test } from 'vitest';
import { codesOf, compileFiles, RULE } from '../fixture.js';

describe('classify', () => {
  test('recognises Sigma rules, correlations, filters and rule-tests sidecars by shape, without complaint', async () => {
    const r = await compileFiles({
      'r.yml': RULE('11111111-1111-4111-8111-111111111111'),
      'c.yml': 'title: C\nid: 22222222-2222-4222-8222-222222222222\ncorrelation:\n  type: event_count\n  rules: [11111111-1111-4111-8111-111111111111]\n  group-by: [Computer]\n  timespan: 5m\n  condition: {gte: 3}\nlevel: high\n',
      'r.tests.yml': 'rule: 11111111-1111-4111-8111-111111111111\ntests: []\n',
    }, 'resolve');
    expect(r.model?.docs.map((d) => d.kind).sort()).toEqual(['RuleTests', 'SigmaCorrelation', 'SigmaRule']);
    expect(r.report.diagnostics).toEqual([]);
  });

  test('reports an unknown kind with did-you-mean, a wrong apiVersion, and a document of neither shape', async () => {
    const r = await compileFiles({ 'a.yaml': 'apiVersion: vigil/v1\nkind: Hots\n', 'b.yaml': 'apiVersion: v1\nkind: Host\n', 'c.yaml': '- just\n- a list\n' }, 'classify');
    expect(codesOf(r)).toEqual(['VG2008 a.yaml', 'VG2009 b.yaml', 'VG2010 c.yaml']);
    expect(r.report.diagnostics[0]!.hint).toBe('did you mean `Host`?');
  });
});
