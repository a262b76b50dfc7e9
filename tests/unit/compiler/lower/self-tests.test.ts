import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, test } from 'vitest';
import { compile } from '../../../../compiler/index.js';
import { RULE, tempRepo } from '../fixture.js';

/** Self-test vectors of rule-tests sidecars travel with the groups that deploy their rule. */

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const group = (name: string) => `apiVersion: vigil/v1\nkind: HostGroup\nmetadata:\n  name: ${name}\nspec:\n  hosts: [${name}-h]\n---\napiVersion: vigil/v1\nkind: Host\nmetadata:\n  name: ${name}-h\nspec:\n  hostname: ${name}-h\n`;
const pkg = (name: string, rule: string, groups: string[]) => `apiVersion: vigil/v1\nkind: Package\nmetadata:\n  name: ${name}\nspec:\n  version: 1.0.0\n  rules:\n    globs: ['${rule}']\n  hostGroups: [${groups.join(', ')}]\n`;

const FILES = {
  'rules/a.yml': RULE(A),
  'rules/a.tests.yml': "tests:\n  - name: hit\n    event: { Image: 'C:\\\\whoami.exe' }\n  - name: miss\n    match: false\n    event: { Image: 'C:\\\\cmd.exe' }\n",
  'rules/b.yml': RULE(B),
  'packages/a.yaml': pkg('pa', 'rules/a.yml', ['g1', 'g2']),
  'packages/b.yaml': pkg('pb', 'rules/b.yml', ['g3']),
  'groups/g1.yaml': group('g1'),
  'groups/g2.yaml': group('g2'),
  'groups/g3.yaml': group('g3'),
};

describe('self-test vectors', () => {
  test('a sidecar\'s cases go to every group deploying its rule, none to the others, warm as cold', async () => {
    const dir = tempRepo(FILES);
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-selftest-cache-'));
    for (const run of ['cold', 'warm']) {
      const r = await compile({ dir }, { cacheDir });
      expect(r.ok, run).toBe(true);
      if (!r.ok) return;
      const tests = Object.fromEntries(r.bundles!.map((b) => [b.group, b.document.content.selfTests.map((t) => `${t.name}=${String(t.match)}`)]));
      expect(tests, run).toEqual({ g1: ['rules/a.tests.yml: hit=true', 'rules/a.tests.yml: miss=false'], g2: ['rules/a.tests.yml: hit=true', 'rules/a.tests.yml: miss=false'], g3: [] });
      const features = Object.fromEntries(r.bundles!.map((b) => [b.group, b.document.features.includes('self-test')]));
      expect(features, run).toEqual({ g1: true, g2: true, g3: false });
    }
  });
});
