import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { compile } from '../compiler/index.js';
import { loadPair } from '../compiler/history/side.js';
import { planOf } from '../targets/plan/plan.js';
import { renderMarkdown } from '../targets/plan/render-md.js';
import { statesOf } from '../bin/commands/plan.js';
import { sigmaRuleDirs } from './corpus.js';
import { alternatingMedians, emit, progress } from './measure.js';

/**
 * `vigil plan` between two commits of a repository holding every SigmaHQ rule, when one rule
 * changed, against one compilation of that repository at one commit (goal: at most 2x). The
 * repository is built in a temp directory (the corpus is copied there, never into the project).
 */
const GROUP = `apiVersion: vigil/v1
kind: HostGroup
metadata:
  name: everything
spec:
  hosts: [h1, h2]
  packages: [sigmahq]
`;
const HOST = (name: string) => `apiVersion: vigil/v1\nkind: Host\nmetadata:\n  name: ${name}\nspec:\n  hostname: ${name}.example.invalid\n`;
const PACKAGE = `apiVersion: vigil/v1
kind: Package
metadata:
  name: sigmahq
spec:
  version: 1.0.0
  rules:
    globs:
      - "rules*/**/*.yml"
`;

async function buildRepo(): Promise<{ dir: string; changed: string; rules: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-plan-bench-'));
  for (const src of sigmaRuleDirs()) cpSync(src, path.join(dir, path.basename(src)), { recursive: true });
  writeFileSync(path.join(dir, 'group.yaml'), GROUP);
  writeFileSync(path.join(dir, 'h1.yaml'), HOST('h1'));
  writeFileSync(path.join(dir, 'h2.yaml'), HOST('h2'));
  writeFileSync(path.join(dir, 'package.yaml'), PACKAGE);
  // Rules the compiler rejects (a handful in the corpus) would make both sides fail: leave them out.
  const first = await compile({ dir });
  for (const file of new Set(first.report.diagnostics.filter((d) => d.severity === 'error').map((d) => d.span.file))) {
    if (file !== '') rmSync(path.join(dir, file), { force: true });
  }
  const check = await compile({ dir });
  if (!check.ok) throw new Error(`bench repository does not compile: ${check.report.diagnostics[0]?.message ?? 'unknown error'}`);
  const git = simpleGit(dir);
  await git.init(['--initial-branch=main']);
  await git.addConfig('user.name', 'Vigil Bench');
  await git.addConfig('user.email', 'bench@vigil.invalid');
  await git.addConfig('commit.gpgsign', 'false');
  await git.add(['-A']);
  await git.commit('every SigmaHQ rule');
  const changed = 'rules/windows/process_creation/proc_creation_win_whoami_all_execution.yml';
  const abs = path.join(dir, changed);
  writeFileSync(abs, readFileSync(abs, 'utf8').replace(/level: \w+/, 'level: critical').replace(/\\whoami\.exe/, '\\whoami2.exe'));
  await git.add([changed]);
  await git.commit('change one rule');
  return { dir, changed, rules: check.model.rules.size };
}

async function main(): Promise<void> {
  progress('plan bench: building the repository');
  const { dir, changed, rules } = await buildRepo();
  try {
    progress('plan bench: compile and plan, alternating');
    let changes = 0;
    // Compile and plan runs alternate, so a change in the machine's speed weighs on both alike.
    const [compileMs, planMs] = (await alternatingMedians([
      async () => {
        const r = await compile({ dir, ref: 'HEAD' }, { sigma: { pipeline: 'windows' } });
        if (!r.ok) throw new Error('compile failed');
      },
      async () => {
        const [b, h] = await loadPair({ dir, ref: 'HEAD~1' }, { dir, ref: 'HEAD' }, { pipeline: 'windows' });
        if (!b.ok || !h.ok) throw new Error('plan sides failed');
        const plan = planOf(statesOf(b.snapshot), statesOf(h.snapshot), { base: 'HEAD~1', head: 'HEAD' });
        renderMarkdown(plan);
        changes = plan.changes.length;
      },
    ], 3, 0)) as [number, number];
    progress('');
    const ratio = planMs / compileMs;
    emit({
      suite: 'plan',
      figures: [
        { name: 'rules in the repository', value: rules, unit: 'rules' },
        { name: 'vigil compile (one ref)', value: compileMs, unit: 'ms' },
        { name: 'vigil plan (two refs, one rule changed)', value: planMs, unit: 'ms' },
        { name: 'plan / compile', value: ratio, unit: 'x', goal: '<= 2.0', pass: ratio <= 2 },
      ],
      notes: [`changed ${changed}; the plan reports ${changes} change(s); the head compiles in full, the base reuses it with the changed rule compiled alone`],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
