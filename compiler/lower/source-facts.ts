import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';

/**
 * Where a build came from, for provenance and expiry: taken from git, never from the clock.
 *
 * - `--ref REF`: the commit REF names (its tree, author and commit time).
 * - a working tree inside a git repository: HEAD's facts; `dirty` when the policy directory has
 *   uncommitted or untracked changes (provenance then still names HEAD, and the input digests
 *   are those of the files actually compiled, so an auditor sees they differ from HEAD's).
 * - no git at all (or no commit yet): a fixed epoch, `SOURCE_DATE_EPOCH` when set
 *   (https://reproducible-builds.org/specs/source-date-epoch/), and zero ids.
 */
export interface SourceFacts {
  readonly commit: string;
  readonly tree: string;
  readonly author: string;
  /** ISO 8601 UTC. */
  readonly commitTime: string;
  readonly dirty: boolean;
  /** Where the facts came from: `ref`, `head` or `none` (no git). */
  readonly from: 'ref' | 'head' | 'none';
}

const ZERO = '0'.repeat(40);

/** The commit time to use without git: SOURCE_DATE_EPOCH (seconds), else the Unix epoch. */
export function fallbackTime(env: NodeJS.ProcessEnv): string {
  const raw = env.SOURCE_DATE_EPOCH;
  const seconds = raw !== undefined && /^\d{1,12}$/.test(raw) ? Number(raw) : 0;
  return new Date(seconds * 1000).toISOString();
}

/** The git facts of `dir` at `ref` (or HEAD, with the dirty flag); fixed facts without git. */
export async function sourceFacts(dir: string, ref: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<SourceFacts> {
  const git = simpleGit(dir);
  let commit: string;
  try {
    commit = (await git.revparse(['--verify', '--quiet', '--end-of-options', `${ref ?? 'HEAD'}^{commit}`])).trim();
    if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new Error('no commit');
  } catch {
    return { commit: ZERO, tree: ZERO, author: 'unknown', commitTime: fallbackTime(env), dirty: false, from: 'none' };
  }
  // %ct is the committer time in seconds: what `git log` orders by and what a rebuild sees.
  const [tree = ZERO, name = '', mail = '', seconds = '0'] = (await git.raw(['show', '-s', '--format=%T%x00%an%x00%ae%x00%ct', commit])).trim().split('\0');
  const commitTime = new Date(Number(seconds) * 1000).toISOString();
  let dirty = false;
  if (ref === undefined) {
    const status = await git.raw(['status', '--porcelain', '--untracked-files=all', '--', '.']);
    dirty = status.trim() !== '';
  }
  return { commit, tree, author: `${name} <${mail}>`, commitTime, dirty, from: ref === undefined ? 'head' : 'ref' };
}

let cached: string | undefined;

/** Vigil's version from its package.json (part of every cache key and provenance statement). */
export function compilerVersion(): string {
  if (cached !== undefined) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vigil') return (cached = pkg.version ?? '0.0.0');
    }
    dir = path.dirname(dir);
  }
  return (cached = '0.0.0');
}
