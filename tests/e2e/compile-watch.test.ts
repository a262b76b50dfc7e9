import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VigilProcess } from '../helpers/agent-process.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

/**
 * `vigil compile --watch`, as a real child process: it rebuilds when a policy file changes
 * (also when an editor replaces the file), keeps watching after a build with errors, ignores
 * its own writes to an OUT inside the policy directory, and exits 0 on SIGINT.
 */

let tmp: string;
beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-watch-'));
  expect((await runCli(['keygen', '--out', path.join(tmp, 'ci')])).code).toBe(0);
  expect((await runCli(['trust', 'init', '--keys', path.join(tmp, 'ci.key'), '--out', path.join(tmp, 'root.json')])).code).toBe(0);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The `watch: build N finished ... (exit code C)` lines so far, as [N, C]. */
const builds = (p: VigilProcess): [number, number][] =>
  p.stderr.flatMap((l) => {
    const m = /^watch: build (\d+) finished in \d+ ms \(exit code (\d+)\)/.exec(l);
    return m ? [[Number(m[1]), Number(m[2])] as [number, number]] : [];
  });

describe('vigil compile --watch', () => {
  it('rebuilds on each change, keeps watching after an error, ignores its own OUT, and stops on SIGINT', async () => {
    const repo = path.join(tmp, 'repo');
    cpSync(path.join(REPO_ROOT, 'examples/minimal'), repo, { recursive: true });
    // OUT inside the watched directory: the build's own writes must not start another build.
    const out = path.join(repo, 'out');
    const rule = path.join(repo, 'rules/proc_creation_win_whoami.yml');
    const original = readFileSync(rule, 'utf8');
    expect(original).toMatch(/\nlevel: \w+/);
    const proc = new VigilProcess(['compile', repo, '--out', out, '--key', path.join(tmp, 'ci.key'), '--trust', path.join(tmp, 'root.json'), '--cache', path.join(tmp, 'cache'), '--watch']);
    try {
      await proc.waitFor(/^watch: build 1 finished/, 30_000, 'stderr');
      expect(builds(proc)).toEqual([[1, 0]]);
      const bundle = () => readFileSync(path.join(out, 'targets/groups/all-hosts/bundle.json'), 'utf8');
      const first = bundle();

      // A change written in place.
      writeFileSync(rule, original.replace(/\nlevel: \w+/, '\nlevel: critical'));
      await proc.waitFor(/^watch: build 2 finished/, 30_000, 'stderr');
      expect(builds(proc)[1]).toEqual([2, 0]);
      const second = bundle();
      expect(second).not.toBe(first);

      // A file replaced through a rename, as `sed -i` and many editors save.
      writeFileSync(`${rule}.tmp`, original.replace(/\nlevel: \w+/, '\nlevel: low'));
      renameSync(`${rule}.tmp`, rule);
      await proc.waitFor(/^watch: build 3 finished/, 30_000, 'stderr');
      expect(builds(proc)[2]).toEqual([3, 0]);

      // A broken file: the build fails (exit code 1) and the watch goes on; fixing it rebuilds.
      writeFileSync(rule, original.replace(/\nlevel: \w+/, '\nlevel: not-a-level'));
      await proc.waitFor(/^watch: build 4 finished/, 30_000, 'stderr');
      expect(builds(proc)[3]).toEqual([4, 1]);
      writeFileSync(rule, original);
      await proc.waitFor(/^watch: build 5 finished/, 30_000, 'stderr');
      expect(builds(proc)[4]).toEqual([5, 0]);

      // Nothing else happened: no build was started by the writes to OUT or the cache.
      await new Promise((r) => setTimeout(r, 1500));
      expect(builds(proc)).toHaveLength(5);
    } finally {
      const exit = await proc.stop('SIGINT');
      expect(exit.code).toBe(0);
    }
  }, 120_000);

  it('refuses --watch with --ref (exit 2)', async () => {
    const r = await runCli(['compile', path.join(REPO_ROOT, 'examples/minimal'), '--ref', 'HEAD', '--watch', '--out', path.join(tmp, 'out-ref')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--watch');
  });
});
