import { describe, expect, test } from 'vitest';
import { codesOf, compileFiles, HOST, spanText } from '../fixture.js';

const SCORE = (spec: string) => `apiVersion: vigil/v1\nkind: ThreatScore\nmetadata:\n  name: s\nspec:\n${spec}`;

describe('validate: ajv errors mapped to YAML nodes', () => {
  test('additionalProperties points at the key, with did-you-mean', async () => {
    const r = await compileFiles({ 's.yaml': SCORE('  key: host\n  window: 5m\n  threshold: 5\n  scores: [{level: high, score: 1}]\n  cooldwn: 1m\n') }, 'validate');
    expect(codesOf(r)).toEqual(['VG2001 s.yaml']);
    expect(spanText(r)).toBe('cooldwn');
    expect(r.report.diagnostics[0]!.hint).toBe('did you mean `cooldown`?');
  });

  test('required points at the parent key; enum and type at the value', async () => {
    const r = await compileFiles({
      'a.yaml': SCORE('  key: host\n  threshold: 5\n  scores: [{level: high, score: 1}]\n'),
      'b.yaml': SCORE('  key: host\n  window: 5m\n  threshold: 5\n  level: hihg\n  scores: [{level: high, score: "1"}]\n'),
    }, 'validate');
    expect(codesOf(r)).toEqual(['VG2002 a.yaml', 'VG2004 b.yaml', 'VG2003 b.yaml']);
    expect(spanText(r, 0)).toBe('spec');
    expect(spanText(r, 1)).toBe('hihg');
    expect(r.report.diagnostics[1]!.hint).toMatch(/^allowed values: `high`/);
    expect(spanText(r, 2)).toBe('"1"');
  });

  test('a missing metadata.name at the root mapping points at its key', async () => {
    const r = await compileFiles({ 'h.yaml': 'apiVersion: vigil/v1\nkind: Host\nmetadata: {}\nspec: {hostname: a}\n' }, 'validate');
    expect(codesOf(r)).toEqual(['VG2002 h.yaml']);
    expect(spanText(r)).toBe('metadata');
  });

  test('valid documents pass and are not reported', async () => {
    const r = await compileFiles({ 'h.yaml': HOST('ws-001') }, 'validate');
    expect(r.report.diagnostics).toEqual([]);
  });
});
