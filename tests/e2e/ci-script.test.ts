import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CLI, REPO_ROOT } from '../helpers/cli.js';
import type { GitRepo } from '../helpers/git-repo.js';
import { policyRepo, sigmaRule, WHOAMI } from './plan-repo.js';

/** examples/ci/ci.sh, run by `sh` on a real git repository in a temp directory, as another CI system would. */
const SCRIPT = path.join(REPO_ROOT, 'examples/ci/ci.sh');
let repo: GitRepo;

function ci(step: string, env: Record<string, string> = {}) {
  return spawnSync('sh', [SCRIPT, step], {
    cwd: repo.dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1', CI: '1', VIGIL: `${process.execPath} ${CLI}`, VIGIL_DIR: 'policy', VIGIL_BASE: 'main', ...env },
  });
}

beforeAll(async () => {
  repo = await policyRepo();
  await repo.git.checkoutLocalBranch('change');
  await repo.commit('tighten whoami', { 'policy/rules/recon/whoami.yml': sigmaRule(WHOAMI, 'Whoami', '\\whoami2.exe', 'high') });
}, 60_000);

afterAll(() => repo?.remove());

describe('examples/ci/ci.sh', { timeout: 120_000 }, () => {
  it('pr: check writes SARIF, plan writes the comment', () => {
    const r = ci('pr');
    expect(r.stderr).not.toContain('error');
    expect(r.status).toBe(0);
    const sarif = JSON.parse(readFileSync(path.join(repo.dir, 'vigil.sarif'), 'utf8')) as { version: string };
    expect(sarif.version).toBe('2.1.0');
    const plan = readFileSync(path.join(repo.dir, 'plan.md'), 'utf8');
    expect(plan).toContain('## Vigil plan: `main` → `working tree`');
    expect(plan).toContain("+  Image endswith '\\whoami2.exe'");
  });

  it('fails the pipeline when the policy has errors', () => {
    repo.write({ 'policy/rules/recon/broken.yml': 'title: x\nid: 6b0f7cf2-0000-4000-8000-000000000001\nlogsource: {product: windows}\ndetection:\n  sel: {Image|nosuchmodifier: x}\n  condition: sel\n' });
    try {
      const r = ci('pr');
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('broken.yml');
    } finally {
      rmSync(path.join(repo.dir, 'policy/rules/recon/broken.yml'));
    }
  });

  it('release needs a signing key; an unknown step is a usage error', () => {
    const r = ci('release', { VIGIL_SIGNING_KEY: '' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('VIGIL_SIGNING_KEY');
    expect(ci('nonsense').status).toBe(2);
  });
});
