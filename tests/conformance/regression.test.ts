import fs from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../bin/main.js';
import { memoryIo } from '../helpers/memory-io.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { HAS_CORPUS, SIGMAHQ, assertCorpus, corpusTest, sigmaRuleFiles } from './corpus.js';

interface RegressionTest {
  readonly name: string;
  readonly path: string;
  readonly match_count?: number;
}

interface RegressionRule {
  readonly file: string;
  readonly id: string;
  readonly infoPath: string;
}

/** Every rule with a `regression_tests_path`, as SigmaHQ's regression CI finds them. */
function regressionRules(): RegressionRule[] {
  const out: RegressionRule[] = [];
  for (const file of sigmaRuleFiles()) {
    const text = fs.readFileSync(file, 'utf8');
    if (!text.includes('regression_tests_path')) continue;
    const rule = parse(text) as { id: string; regression_tests_path?: string };
    if (rule.regression_tests_path) out.push({ file, id: rule.id, infoPath: path.join(SIGMAHQ, rule.regression_tests_path) });
  }
  return out;
}

/** Runs `vigil eval` in-process and counts the matches it prints for one rule id. */
async function countMatches(ruleFile: string, eventsFile: string, ruleId: string): Promise<{ count: number; code: number; stderr: string }> {
  const io = memoryIo(REPO_ROOT);
  const code = await main(['eval', '--rules', ruleFile, '--events', eventsFile, '--pipeline', 'windows'], io);
  let count = 0;
  for (const line of io.stdout.text.split('\n')) {
    if (!line.trim()) continue;
    const out = JSON.parse(line) as { rule?: unknown };
    if (out.rule === ruleId) count++;
  }
  return { count, code, stderr: io.stderr.text };
}

const rules = HAS_CORPUS ? regressionRules() : [];

describe('SigmaHQ regression data', () => {
  corpusTest('the corpus holds the 202 rules with regression tests', () => {
    assertCorpus();
    expect(rules.length).toBe(202);
  });

  for (const rule of rules) {
    corpusTest(`regression: ${path.relative(SIGMAHQ, rule.file)}`, async () => {
      const info = parse(fs.readFileSync(rule.infoPath, 'utf8')) as { regression_tests_info?: RegressionTest[] };
      const tests = info.regression_tests_info ?? [];
      expect(tests.length).toBeGreaterThan(0);
      for (const t of tests) {
        const eventsFile = path.join(SIGMAHQ, t.path.replace(/\.evtx$/, '.json'));
        const want = t.match_count ?? 1;
        const got = await countMatches(rule.file, eventsFile, rule.id);
        expect(got.code, `${t.name}: vigil eval exit code; stderr: ${got.stderr}`).toBe(0);
        expect(got.count, `${t.name}: matches of ${rule.id} in ${path.basename(eventsFile)}`).toBeGreaterThanOrEqual(want);
      }
    });
  }
});
