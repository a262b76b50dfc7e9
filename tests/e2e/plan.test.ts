import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import type { GitRepo } from '../helpers/git-repo.js';
import { IPCONFIG, policyRepo, SECRET_REF, sigmaRule, WHOAMI, WMIC } from './plan-repo.js';

/** `vigil plan` and `vigil diff` through the real CLI, on a real git repository with branches and merges. */
let repo: GitRepo;
let dir: string;

beforeAll(async () => {
  repo = await policyRepo();
  dir = path.join(repo.dir, 'policy');
  await repo.git.checkoutLocalBranch('topic');
  // Modify whoami's logic and level, rename ipconfig's file, move wmic to the recon package, lower nothing else.
  await repo.commit('tighten whoami', { 'policy/rules/recon/whoami.yml': sigmaRule(WHOAMI, 'Whoami', '\\whoami2.exe', 'high') });
  await repo.git.mv('policy/rules/recon/ipconfig.yml', 'policy/rules/recon/net_ipconfig.yml');
  await repo.commit('rename ipconfig');
  await repo.git.mv('policy/rules/extra/wmic.yml', 'policy/rules/recon/wmic.yml');
  await repo.commit('move wmic to recon');
  await repo.git.checkout('main');
  await repo.git.merge(['--no-ff', '-m', 'merge topic', 'topic']);
  await repo.git.checkout(['-b', 'delete']);
  rmSync(path.join(dir, 'rules/recon/whoami.yml'));
  await repo.commit('delete whoami');
  await repo.git.checkout('main');
}, 60_000);

afterAll(() => repo?.remove());

describe('vigil plan', { timeout: 120_000 }, () => {
  it('reports logic diffs, moves and renames per group, in JSON', async () => {
    const r = await runCli(['plan', dir, '--base', 'main~1', '--head', 'main', '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { changes: { name: string; status: string; groups: { group: string; change: string }[]; logic?: { op: string; text: string }[]; pathBefore?: string; path?: string }[]; groups: { group: string; rings: unknown }[] };
    const byName = new Map(plan.changes.map((c) => [c.name, c]));
    expect(byName.get(WHOAMI)).toMatchObject({ status: 'modified' });
    // The windows pipeline (as `vigil compile` uses) gives one scope per log source: Sysmon and Security 4688.
    expect(byName.get(WHOAMI)!.logic!.filter((l) => l.op !== ' ').map((l) => l.op + l.text)).toEqual([
      "-  Image endswith '\\whoami.exe'",
      "+  Image endswith '\\whoami2.exe'",
      "-  NewProcessName endswith '\\whoami.exe'",
      "+  NewProcessName endswith '\\whoami2.exe'",
    ]);
    expect(byName.get(WHOAMI)!.logic!.map((l) => l.text)).toContain("when channel 'microsoft-windows-sysmon/operational' and event id 1:");
    // Renamed file, same logic: only the file changes, no logic line.
    expect(byName.get(IPCONFIG)).toMatchObject({ status: 'modified', pathBefore: 'rules/recon/ipconfig.yml', path: 'rules/recon/net_ipconfig.yml' });
    expect(byName.get(IPCONFIG)!.logic!.every((l) => l.op === ' ')).toBe(true);
    // wmic moved from package extra (workstations only) to recon (both groups).
    expect(byName.get(WMIC)).toMatchObject({ status: 'modified', pathBefore: 'rules/extra/wmic.yml', path: 'rules/recon/wmic.yml', groups: [{ group: 'servers', change: 'added' }, { group: 'workstations', change: 'modified' }] });
    expect(plan.groups.find((g) => g.group === 'workstations')!.rings).toEqual([{ name: 'canary', hosts: 1 }, { name: 'broad', hosts: 1 }]);
  });

  it('flags a deleted detection in the Markdown comment', async () => {
    const r = await runCli(['plan', dir, '--base', 'main', '--head', 'delete']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('## Vigil plan');
    expect(r.stdout).toMatch(/⚠️ \| detection\\-removed \| Whoami \\\(`37616311/);
    expect(r.stdout).toContain('reaches 3 hosts in 2 groups (canary 1, broad 2)');
  });

  it('compares the working tree when --head is absent, and prints GitHub annotations', async () => {
    repo.write({ 'policy/rules/recon/new.yml': sigmaRule('5b0f7cf2-0000-4000-8000-000000000001', 'Everything', '.exe') });
    try {
      const baseline = path.join(repo.dir, 'sample.jsonl');
      const sysmon = (image: string) => JSON.stringify({ Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Image: image });
      repo.write({ 'sample.jsonl': [sysmon('C:\\a.exe'), sysmon('C:\\b.exe'), '{"Other":1}'].join('\n') + '\n' });
      const r = await runCli(['plan', dir, '--base', 'main', '--format', 'github', '--baseline', baseline]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^::warning file=.*rules\/recon\/new\.yml,line=1,title=vigil plan%3A noisy::Everything/m);
      expect(r.stdout).toMatch(/^::notice .*untested::Everything/m);
    } finally {
      rmSync(path.join(dir, 'rules/recon/new.yml'));
    }
  });

  it('never prints a credential value or reference, in any format', async () => {
    repo.write({ 'policy/credentials/hec.yaml': `apiVersion: vigil/v1\nkind: Credential\nmetadata:\n  name: hec-token-2\nspec:\n  type: hec-token\n  hostGroups:\n    - servers\n  hecToken:\n    token: ${SECRET_REF}\n` });
    try {
      for (const format of ['md', 'json', 'github']) {
        const r = await runCli(['plan', dir, '--base', 'main', '--format', format]);
        expect(r.code).toBe(0);
        if (format !== 'github') expect(r.stdout).toContain('hec-token-2');
        expect(r.stdout + r.stderr).not.toContain('VIGIL_TEST_SUPER_SECRET_VALUE');
      }
    } finally {
      await repo.git.checkout(['--', 'policy/credentials/hec.yaml']);
    }
  });

  it('exit codes: 2 for usage, an unknown ref, or a missing --base; 1 when a side does not compile', async () => {
    expect((await runCli(['plan', dir])).code).toBe(2);
    expect((await runCli(['plan', dir, '--base', 'no-such-ref'])).code).toBe(2);
    expect((await runCli(['plan', dir, '--base', 'main', '--format', 'yaml'])).code).toBe(2);
    repo.write({ 'policy/rules/recon/broken.yml': 'title: x\nid: 6b0f7cf2-0000-4000-8000-000000000001\nlogsource: {product: windows}\ndetection:\n  sel: {Image|nosuchmodifier: x}\n  condition: sel\n' });
    try {
      const r = await runCli(['plan', dir, '--base', 'main']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('rules/recon/broken.yml');
    } finally {
      rmSync(path.join(dir, 'rules/recon/broken.yml'));
    }
  });
});

describe('the incremental path (rules edited in place)', { timeout: 120_000 }, () => {
  it('gives the same plan as compiling both sides in full', async () => {
    await repo.git.checkout(['-b', 'edit', 'main']);
    try {
      await repo.commit('edit two rules in place', {
        'policy/rules/recon/whoami.yml': sigmaRule(WHOAMI, 'Whoami', '\\whoami3.exe', 'critical'),
        'policy/rules/recon/wmic.yml': sigmaRule(WMIC, 'Wmic', '\\wmic2.exe', 'medium'),
      });
      // --head REF takes the fast path; the working tree (same content) is compiled in full.
      const fast = await runCli(['plan', dir, '--base', 'main', '--head', 'edit', '--format', 'json', '--no-baseline']);
      const full = await runCli(['plan', dir, '--base', 'main', '--format', 'json', '--no-baseline']);
      expect(fast.code).toBe(0);
      expect(full.code).toBe(0);
      expect(JSON.parse(fast.stdout)).toEqual({ ...JSON.parse(full.stdout), head: 'edit' });
      expect((JSON.parse(fast.stdout) as { changes: unknown[] }).changes).toHaveLength(2);
    } finally {
      await repo.git.checkout('main');
    }
  });
});

describe('vigil diff', { timeout: 120_000 }, () => {
  it('gives the same semantic diff between any two refs', async () => {
    const r = await runCli(['diff', 'main~1', 'main', '--dir', dir, '--format', 'json']);
    expect(r.code).toBe(0);
    const p = await runCli(['plan', dir, '--base', 'main~1', '--head', 'main', '--format', 'json', '--no-baseline']);
    expect(r.stdout).toBe(p.stdout);
    expect((await runCli(['diff', 'main', '--dir', dir])).code).toBe(2);
  });
});
