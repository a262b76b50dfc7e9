import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file both under dist/ and in the source tree. */
export const REPO_ROOT = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') dir = path.dirname(dir);
  return dir;
})();

/** The shared corpus: VIGIL_CORPUS, or ../shared/corpus beside the repository. */
export function corpusDir(): string {
  return process.env.VIGIL_CORPUS ? path.resolve(process.env.VIGIL_CORPUS) : path.resolve(REPO_ROOT, '../shared/corpus');
}

/** Every file under dir whose name matches, sorted, skipping hidden entries. */
export function filesUnder(dir: string, match: RegExp): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) continue;
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (match.test(entry.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The SigmaHQ rule folders (rules, rules-emerging-threats, ...). */
export function sigmaRuleDirs(): string[] {
  const root = path.join(corpusDir(), 'sigmahq');
  return readdirSync(root)
    .filter((name) => name.startsWith('rules'))
    .sort()
    .map((name) => path.join(root, name));
}
