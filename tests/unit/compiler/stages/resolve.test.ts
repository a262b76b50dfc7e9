import { describe, expect, test } from 'vitest';
import { codesOf, compileFiles, HOST, RULE, spanText } from '../fixture.js';

const ID1 = '11111111-1111-4111-8111-111111111111';
const ID2 = '22222222-2222-4222-8222-222222222222';
const PKG = (rules: string, extra = '') => `apiVersion: vigil/v1\nkind: Package\nmetadata:\n  name: p\nspec:\n  version: 1.0.0\n  rules:\n${rules}${extra}`;
const GROUP = `apiVersion: vigil/v1\nkind: HostGroup\nmetadata:\n  name: g\nspec:\n  selector: {matchLabels: {role: ws}}\n  hosts: [explicit]\n  packages: [p]\n`;

describe('resolve', () => {
  test('expands package selectors and computes the host group configuration', async () => {
    const r = await compileFiles({
      'rules/a.yml': RULE(ID1, 'attack.t1033'),
      'rules/sub/b.yml': RULE(ID2, 'attack.t1016'),
      'p.yaml': PKG('    globs: ["rules/*.yml"]\n    tags: [attack.t1016]\n'),
      'g.yaml': GROUP,
      'h1.yaml': HOST('h1', '  labels: {role: ws}\n'),
      'h2.yaml': HOST('h2', '  labels: {role: server}\n'),
      'h3.yaml': HOST('explicit'),
    }, 'resolve');
    expect(r.report.diagnostics).toEqual([]);
    expect(r.model?.packages.get('p')?.ruleIds).toEqual([ID1, ID2]);
    const g = r.model?.groups.get('g');
    expect(g?.hosts).toEqual(['explicit', 'h1']);
    expect(g?.packages).toEqual(['p']);
    expect(g?.effective.rules).toEqual([ID1, ID2]);
  });

  test('reports unknown ids and paths (errors) and empty globs and tags (warnings), with suggestions', async () => {
    const r = await compileFiles({
      'rules/a.yml': RULE(ID1),
      'p.yaml': PKG(`    ids: ["${ID1.slice(0, -1)}2"]\n    paths: [rules/a.yaml]\n    globs: ["x/*.yml"]\n    tags: [nope]\n`, '  hostGroups: [gg]\n'),
      'g.yaml': GROUP.replace('  hosts: [explicit]\n', ''),
    }, 'resolve');
    expect(codesOf(r)).toEqual(['VG3005 g.yaml', 'VG3002 p.yaml', 'VG3003 p.yaml', 'VG3004 p.yaml', 'VG3004 p.yaml', 'VG3001 p.yaml']);
    expect(r.report.diagnostics[1]!.hint).toBe(`did you mean \`${ID1}\`?`);
    expect(r.report.diagnostics[2]!.hint).toBe('did you mean `rules/a.yml`?');
    expect(r.report.diagnostics[5]!.hint).toBe('did you mean `g`?');
    expect(spanText(r, 5)).toBe('gg');
  });

  test('does not report a reference to a document that failed validation', async () => {
    const r = await compileFiles({ 'g.yaml': GROUP, 'h.yaml': HOST('explicit'), 'p.yaml': PKG('    bogus: []\n') }, 'resolve');
    expect(codesOf(r)).toEqual(['VG2001 p.yaml']);
  });
});
