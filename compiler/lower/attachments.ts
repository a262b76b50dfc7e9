import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { Input } from '../stages/load.js';
import { sha256Hex } from '../../runtime/bundle/canonical.js';

/** Non-policy files a bundle embeds (rule tests' `eventsFile`), by repository-relative path: bytes, or why they could not be read. */
export type Attachments = ReadonlyMap<string, Uint8Array | string>;

/** Whether a repository-relative path stays inside the policy directory. */
function isInside(rel: string): boolean {
  const norm = path.posix.normalize(rel.replace(/\\/g, '/'));
  return rel !== '' && !path.posix.isAbsolute(norm) && !/^[A-Za-z]:/.test(rel) && norm !== '..' && !norm.startsWith('../');
}

/**
 * Reads the attachments from where the policy files came from: the working tree, or git's object
 * store at the same commit for `--ref` (so a ref build never sees uncommitted event files).
 */
export async function readAttachments(input: Input, commit: string | undefined, paths: readonly string[]): Promise<Attachments> {
  const out = new Map<string, Uint8Array | string>();
  if (paths.length === 0) return out;
  let prefix = '';
  let top: string | undefined;
  if (input.ref !== undefined && commit !== undefined) {
    try {
      const git = simpleGit(input.dir);
      top = (await git.revparse(['--show-toplevel'])).trim();
      prefix = (await git.revparse(['--show-prefix'])).trim();
    } catch {
      for (const rel of paths) out.set(rel, 'the git repository cannot be read');
      return out;
    }
  }
  for (const rel of paths) {
    if (!isInside(rel)) {
      out.set(rel, 'the path leaves the policy directory');
      continue;
    }
    const norm = path.posix.normalize(rel.replace(/\\/g, '/'));
    try {
      if (top !== undefined) {
        const bytes = await simpleGit(top).binaryCatFile(['blob', `${commit}:${prefix}${norm}`]);
        out.set(rel, new Uint8Array(bytes));
      } else {
        const abs = path.join(input.dir, ...norm.split('/'));
        // A symlink may not lead outside the policy directory either.
        const real = realpathSync(abs);
        const root = realpathSync(input.dir);
        if (real !== root && !real.startsWith(root + path.sep)) throw new Error('outside');
        out.set(rel, new Uint8Array(readFileSync(real)));
      }
    } catch (error) {
      out.set(rel, (error as Error).message === 'outside' ? 'the path leaves the policy directory' : 'no such file in the policy directory');
    }
  }
  return out;
}

/** The SHA-256 of every attachment that was read, for provenance. */
export function attachmentDigests(attachments: Attachments): { path: string; sha256: string }[] {
  return [...attachments].flatMap(([p, v]) => (typeof v === 'string' ? [] : [{ path: p, sha256: sha256Hex(v) }]));
}
