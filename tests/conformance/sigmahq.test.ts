import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { compileSigmaDoc } from '../../compiler/sigma/compile-sigma.js';
import { DiagnosticList } from '../../compiler/reporter.js';
import type { Source } from '../../compiler/source.js';
import { SIGMAHQ, assertCorpus, corpusTest, sigmaRuleFiles } from './corpus.js';

interface KnownInvalid {
  readonly path: string;
  readonly code: string;
  readonly reason: string;
}

const KNOWN_INVALID = (parse(fs.readFileSync(new URL('./known-invalid.yml', import.meta.url), 'utf8')) ?? []) as KnownInvalid[];

/** Compiles one SigmaHQ rule file; returns a line describing each problem found. */
function compileFile(file: string): string[] {
  const rel = path.relative(SIGMAHQ, file).split(path.sep).join('/');
  const bytes = fs.readFileSync(file);
  const source: Source = {
    path: rel,
    text: bytes.toString('utf8').replace(/^\uFEFF/, ''),
    origin: { kind: 'worktree', root: SIGMAHQ },
    digest: crypto.createHash('sha256').update(bytes).digest('hex'),
  };
  const problems: string[] = [];
  for (const doc of parseAllDocuments(source.text, { keepSourceTokens: false })) {
    if (!('errors' in doc)) continue;
    if (doc.errors.length > 0) {
      problems.push(`${rel}: yaml: ${doc.errors[0]!.message}`);
      continue;
    }
    const reporter = new DiagnosticList();
    const compiled = compileSigmaDoc({ source, doc }, reporter, { pipeline: 'windows' });
    for (const d of reporter.items.filter((x) => x.severity === 'error')) problems.push(`${rel}: ${d.code} ${d.message}`);
    const id = (doc.toJS() as { id?: unknown } | null)?.id;
    if (!reporter.hasErrors && !compiled) problems.push(`${rel}: no result and no error`);
    if (compiled && compiled.id !== id) problems.push(`${rel}: compiled id \`${compiled.id}\` is not the rule's id \`${String(id)}\``);
  }
  return problems;
}

describe('SigmaHQ corpus', () => {
  corpusTest('every rule in sigmahq/rules* compiles with the windows pipeline', () => {
    assertCorpus();
    const files = sigmaRuleFiles();
    expect(files.length).toBeGreaterThanOrEqual(3780);
    const allowed = new Map(KNOWN_INVALID.map((k) => [k.path, k]));
    const offenders: string[] = [];
    const unusedAllowances = new Set(allowed.keys());
    for (const file of files) {
      const rel = path.relative(SIGMAHQ, file).split(path.sep).join('/');
      const problems = compileFile(file);
      const allowance = allowed.get(rel);
      if (allowance) {
        unusedAllowances.delete(rel);
        // An allowed rule must still be rejected, and for the reviewed reason.
        if (!problems.some((p) => p.includes(` ${allowance.code}`))) offenders.push(`${rel}: listed in known-invalid.yml as ${allowance.code} but got: ${problems.join('; ') || 'no error'}`);
        continue;
      }
      offenders.push(...problems);
    }
    expect(offenders, `${offenders.length} problems in ${files.length} rule files`).toEqual([]);
    expect([...unusedAllowances], 'known-invalid.yml entries that match no rule file').toEqual([]);
  }, 120_000);
});
