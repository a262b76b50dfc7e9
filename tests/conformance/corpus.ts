import { test } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/cli.js';

/** The shared corpus (SigmaHQ rules, regression data, OTRF events): env VIGIL_CORPUS or ../shared/corpus. */
export const CORPUS = path.resolve(REPO_ROOT, process.env.VIGIL_CORPUS ?? '../shared/corpus');
/** Whether the SigmaHQ part of the corpus is present; suites that need it do not run without it. */
export const HAS_CORPUS = fs.existsSync(path.join(CORPUS, 'sigmahq'));
/** CI sets VIGIL_REQUIRE_CORPUS=1: a missing corpus is then a failure, not a silent skip. */
export const REQUIRE_CORPUS = process.env.VIGIL_REQUIRE_CORPUS === '1';
/** The SigmaHQ snapshot inside the corpus. */
export const SIGMAHQ = path.join(CORPUS, 'sigmahq');

/** Every `.yml` file under the given directory, recursively, as sorted absolute paths. */
export function listYamlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}

/** Every SigmaHQ rule file: the `rules*` folders of the snapshot, sorted. */
export function sigmaRuleFiles(): string[] {
  if (!HAS_CORPUS) return [];
  return fs
    .readdirSync(SIGMAHQ, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith('rules'))
    .map((e) => e.name)
    .sort()
    .flatMap((name) => listYamlFiles(path.join(SIGMAHQ, name)));
}

/** Parses pretty-printed JSON objects written one after another (no array, no separators). */
export function parseConcatenatedJson(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return values;
}

/** Fails with a clear message when the corpus is missing (only reached when VIGIL_REQUIRE_CORPUS=1). */
export function assertCorpus(): void {
  if (!HAS_CORPUS) throw new Error(`corpus not found at ${CORPUS} (set VIGIL_CORPUS); VIGIL_REQUIRE_CORPUS=1 makes this a failure`);
}

/** A vitest `test` that is listed as not run when the corpus is absent, unless the corpus is required. */
export const corpusTest = test.skipIf(!HAS_CORPUS && !REQUIRE_CORPUS);
