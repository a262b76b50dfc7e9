import { simpleGit } from 'simple-git';
import { readBlobs as readBlobBytes } from '../stages/load-git.js';

/**
 * Reading a policy directory's git history: commits with the files they changed (renames
 * detected, `git log --raw -M`), and blob contents in one `git cat-file --batch` process.
 * Dates come from git (committer date, ISO 8601), never from the clock.
 */

/** One commit. */
export interface CommitInfo {
  readonly commit: string;
  readonly parents: readonly string[];
  readonly author: string;
  readonly email: string;
  /** Committer date, ISO 8601 with offset, as git prints it. */
  readonly date: string;
  /** Committer time in seconds since the epoch. */
  readonly time: number;
  readonly subject: string;
}

/** One changed file of a commit, with paths relative to the policy directory. */
export interface FileChange {
  readonly status: string;
  readonly path: string;
  /** Path before a rename or copy. */
  readonly oldPath?: string;
  /** Blob ids before and after; undefined for an added or deleted side. */
  readonly oldBlob?: string;
  readonly newBlob?: string;
}

/** A commit and its changes under the policy directory. */
export interface LogEntry {
  readonly info: CommitInfo;
  readonly changes: readonly FileChange[];
}

/** Where a policy directory sits in its repository. */
export interface RepoPlace {
  /** Absolute path of the work tree's top. */
  readonly top: string;
  /** The directory relative to the top, `/`-terminated, or '' at the top. */
  readonly prefix: string;
}

/** Finds the repository of a directory; undefined when it is not inside one. */
export async function repoPlace(dir: string): Promise<RepoPlace | undefined> {
  try {
    const git = simpleGit(dir);
    const top = (await git.revparse(['--show-toplevel'])).trim();
    const prefix = (await git.revparse(['--show-prefix'])).trim();
    return { top, prefix };
  } catch {
    return undefined;
  }
}

const ZERO = /^0+$/;
const FORMAT = '%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%cI%x1f%ct%x1f%s';

/**
 * Commits reachable from `rev` that change the policy directory, newest first (topological
 * order), each with its changed files. `firstParent` follows the main line only.
 */
export async function logEntries(place: RepoPlace, rev = 'HEAD', firstParent = false): Promise<LogEntry[]> {
  const args = ['log', '--raw', '-M', '--no-abbrev', '-z', '--topo-order', `--format=${FORMAT}`, ...(firstParent ? ['--first-parent', '-m'] : []), '--end-of-options', rev, '--', place.prefix === '' ? '.' : place.prefix];
  const out = await simpleGit(place.top).raw(args);
  const entries: LogEntry[] = [];
  for (const record of out.split('\x1e')) {
    if (record === '') continue;
    const nul = record.indexOf('\0');
    const header = nul === -1 ? record : record.slice(0, nul);
    const [commit, parents, author, email, date, time, subject] = header.replace(/\n$/, '').split('\x1f');
    const changes: FileChange[] = [];
    const tokens = nul === -1 ? [] : record.slice(nul + 1).split('\0').map((t) => t.replace(/^\n/, ''));
    for (let i = 0; i < tokens.length; i++) {
      const meta = tokens[i]!;
      if (!meta.startsWith(':')) continue;
      const [, , oldBlob, newBlob, status] = meta.split(' ');
      const kind = (status ?? 'M').charAt(0);
      const first = tokens[++i] ?? '';
      const second = kind === 'R' || kind === 'C' ? (tokens[++i] ?? '') : undefined;
      const rel = (p: string) => (p.startsWith(place.prefix) ? p.slice(place.prefix.length) : p);
      changes.push({
        status: kind,
        path: rel(second ?? first),
        ...(second !== undefined ? { oldPath: rel(first) } : {}),
        ...(oldBlob && !ZERO.test(oldBlob) ? { oldBlob } : {}),
        ...(newBlob && !ZERO.test(newBlob) ? { newBlob } : {}),
      });
    }
    if (commit === undefined) continue;
    entries.push({
      info: { commit, parents: parents ? parents.split(' ').filter(Boolean) : [], author: author ?? '', email: email ?? '', date: date ?? '', time: Number(time), subject: subject ?? '' },
      changes: dedupeChanges(changes),
    });
  }
  return entries;
}

/** `-m` lists a merge's changes once per parent; keep each path once. */
function dedupeChanges(changes: readonly FileChange[]): FileChange[] {
  const seen = new Set<string>();
  return changes.filter((c) => {
    const key = `${c.oldPath ?? ''}\0${c.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Reads blobs by id through one `git cat-file --batch` process; returns their text by id. */
export async function readBlobs(top: string, oids: readonly string[]): Promise<Map<string, string>> {
  const bytes = await readBlobBytes(top, oids);
  return new Map([...bytes].map(([oid, b]) => [oid, Buffer.from(b).toString('utf8')]));
}
