import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import type { GitRepo } from '../helpers/git-repo.js';
import { policyRepo, sigmaRule, WHOAMI, WMIC } from './plan-repo.js';

/** `vigil history` through the real CLI on a real git repository: renames, moves, deletion, a merge, dates from git. */
let repo: GitRepo;
let dir: string;

beforeAll(async () => {
  repo = await policyRepo();
  dir = path.join(repo.dir, 'policy');
  // Dates are set through git's own variables (simple-git refuses to pass them on).
  const git = (date: string, ...args: string[]) => execFileSync('git', args, { cwd: repo.dir, env: { ...process.env, GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date }, stdio: 'pipe' });
  git('2026-01-01T10:00:00Z', 'commit', '--amend', '--no-edit');
  git('2026-01-01T10:00:00Z', 'checkout', '-q', '-b', 'topic');
  repo.write({ 'policy/rules/recon/whoami.yml': sigmaRule(WHOAMI, 'Whoami', '\\whoami2.exe', 'high') });
  git('2026-02-01T10:00:00Z', 'commit', '-q', '-am', 'tighten whoami');
  git('2026-02-02T10:00:00Z', 'mv', 'policy/rules/extra/wmic.yml', 'policy/rules/recon/wmic_moved.yml');
  git('2026-02-02T10:00:00Z', 'commit', '-q', '-m', 'move wmic to recon');
  git('2026-03-01T10:00:00Z', 'checkout', '-q', 'main');
  git('2026-03-01T10:00:00Z', 'merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
  git('2026-04-01T10:00:00Z', 'rm', '-q', 'policy/rules/recon/whoami.yml');
  git('2026-04-01T10:00:00Z', 'commit', '-q', '-m', 'delete whoami');
}, 60_000);

afterAll(() => repo?.remove());

describe('vigil history', { timeout: 120_000 }, () => {
  it('--rule follows a rule across a move and reports its deletion', async () => {
    const r = await runCli(['history', '--rule', WMIC, '--dir', dir, '--format', 'json']);
    expect(r.code).toBe(0);
    const h = JSON.parse(r.stdout) as { changes: { change: string; path: string; oldPath?: string; subject: string; author: string; date: string }[] };
    expect(h.changes.map((c) => [c.change, c.subject])).toEqual([['added', 'initial policy'], ['renamed', 'move wmic to recon']]);
    expect(h.changes[1]).toMatchObject({ oldPath: 'rules/extra/wmic.yml', path: 'rules/recon/wmic_moved.yml', author: 'Vigil Test', date: '2026-02-02T10:00:00+00:00' });
    const w = await runCli(['history', '--rule', WHOAMI, '--dir', dir]);
    expect(w.stdout).toMatch(/tighten whoami\n\s+modified rules\/recon\/whoami\.yml \(detection, level\)/);
    expect(w.stdout).toMatch(/delete whoami\n\s+removed rules\/recon\/whoami\.yml/);
    expect((await runCli(['history', '--rule', 'no-such-id', '--dir', dir])).code).toBe(1);
  });

  it('--group lists the main-line commits that changed what the group runs', async () => {
    const r = await runCli(['history', '--group', 'servers', '--dir', dir, '--format', 'json']);
    expect(r.code).toBe(0);
    const h = JSON.parse(r.stdout) as { changes: { subject: string; changes: { section: string; name: string; change: string }[] }[] };
    expect(h.changes.map((c) => c.subject)).toEqual(['initial policy', 'merge topic', 'delete whoami']);
    expect(h.changes[1]!.changes).toEqual(expect.arrayContaining([expect.objectContaining({ section: 'rules', name: WMIC, change: 'added' }), expect.objectContaining({ name: WHOAMI, change: 'modified' })]));
  });

  it('--group --at tells which commit and rules a group ran at a date', async () => {
    const r = await runCli(['history', '--group', 'servers', '--at', '2026-03-15', '--dir', dir, '--format', 'json']);
    expect(r.code).toBe(0);
    const at = JSON.parse(r.stdout) as { subject: string; rules: { id: string }[]; bundleDigest: string; packages: unknown };
    expect(at.subject).toBe('merge topic');
    expect(at.rules.map((x) => x.id).sort()).toEqual([WHOAMI, '46b9c27b-aec3-456e-b02a-72b81c63f70f', WMIC].sort());
    // The digest is the one `vigil compile` publishes for the group at that commit.
    const keys = path.join(repo.dir, '..', `${path.basename(repo.dir)}-keys`);
    expect((await runCli(['keygen', '--out', `${keys}-signer`])).code).toBe(0);
    expect((await runCli(['trust', 'init', '--keys', `${keys}-signer.key`, '--out', `${keys}-trust.json`])).code).toBe(0);
    const out = `${keys}-out`;
    try {
      const c = await runCli(['compile', dir, '--ref', 'main~1', '--out', out, '--key', `${keys}-signer.key`, '--trust', `${keys}-trust.json`]);
      expect(c.code).toBe(0);
      const published = createHash('sha256').update(readFileSync(path.join(out, 'targets/groups/servers/bundle.json'))).digest('hex');
      expect(at.bundleDigest).toBe(`sha256:${published}`);
    } finally {
      for (const f of [`${keys}-signer.key`, `${keys}-signer.pub`, `${keys}-trust.json`, out]) rmSync(f, { recursive: true, force: true });
    }
    expect(at.packages).toEqual([{ name: 'recon', version: '1.0.0' }]);
    const early = await runCli(['history', '--group', 'servers', '--at', '2026-01-15', '--dir', dir, '--format', 'json']);
    expect((JSON.parse(early.stdout) as { subject: string }).subject).toBe('initial policy');
    expect((await runCli(['history', '--group', 'servers', '--at', '2025-12-31', '--dir', dir])).code).toBe(1);
    expect((await runCli(['history', '--group', 'servers', '--at', 'yesterday', '--dir', dir])).code).toBe(2);
    expect((await runCli(['history', '--at', '2026-01-01', '--dir', dir])).code).toBe(2);
  });
});
