import { describe, expect, test } from 'vitest';
import { codesOf, compileFiles, HOST, RULE } from '../fixture.js';

const ID = '11111111-1111-4111-8111-111111111111';

describe('duplicate-id (VG4001)', () => {
  test('reports a second document with the same kind and name, and a repeated Sigma id, pointing at the first', async () => {
    const r = await compileFiles({ 'a.yaml': HOST('ws'), 'b.yaml': HOST('ws'), 'r1.yml': RULE(ID), 'r2.yml': RULE(ID) });
    expect(codesOf(r)).toEqual(['VG4001 b.yaml', 'VG4001 r2.yml']);
    expect(r.report.diagnostics[0]!.related?.[0]).toMatchObject({ span: { file: 'a.yaml' }, message: 'first defined here' });
  });

  test('does not report the same name in two different kinds', async () => {
    const group = 'apiVersion: vigil/v1\nkind: HostGroup\nmetadata:\n  name: ws\nspec:\n  hosts: [ws]\n';
    const r = await compileFiles({ 'a.yaml': HOST('ws'), 'b.yaml': group });
    expect(r.report.diagnostics).toEqual([]);
  });
});
