import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusDir } from './corpus.js';
import type { SuiteResult } from './measure.js';

/**
 * `npm run bench`: each suite runs in a fresh Node process (clean heap, honest resident
 * memory) and prints one JSON line; this prints them as a table. Every figure is reported
 * next to a floor measured in the same run, never against a number from another machine.
 */
const SUITES = ['check-bench', 'eval-bench', 'compile-bench', 'activation-bench', 'plan-bench', 'hec-bench', 'policy-bench'] as const;

function format(value: number, unit: string): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
}

function main(): number {
  if (!existsSync(path.join(corpusDir(), 'sigmahq'))) {
    process.stderr.write(`bench: corpus not found at ${corpusDir()} (set VIGIL_CORPUS)\n`);
    return 2;
  }
  const selected = process.argv.slice(2);
  const here = path.dirname(fileURLToPath(import.meta.url));
  let failed = 0;
  for (const suite of SUITES) {
    if (selected.length && !selected.some((s) => suite.startsWith(s))) continue;
    const run = spawnSync(process.execPath, ['--expose-gc', path.join(here, `${suite}.js`)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    const line = run.stdout.trim().split('\n').pop() ?? '';
    let result: SuiteResult;
    try {
      result = JSON.parse(line) as SuiteResult;
    } catch {
      process.stderr.write(`bench: suite ${suite} failed (exit ${run.status})\n${run.stdout}\n`);
      failed++;
      continue;
    }
    process.stdout.write(`\n## ${result.suite}\n`);
    for (const f of result.figures) {
      const goal = f.goal ? `   goal ${f.goal}: ${f.pass ? 'met' : 'NOT met'}` : '';
      process.stdout.write(`  ${f.name.padEnd(52)} ${format(f.value, f.unit).padStart(18)}${goal}\n`);
    }
    for (const n of result.notes ?? []) process.stdout.write(`  note: ${n}\n`);
  }
  return failed ? 1 : 0;
}

process.exitCode = main();
