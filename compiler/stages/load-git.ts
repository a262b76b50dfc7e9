import { spawn } from 'node:child_process';
import { simpleGit } from 'simple-git';
import { diag } from '../diagnostics/diagnostic.js';
import { fileStart } from '../span.js';
import type { Origin } from '../source.js';
import type { CompileContext } from '../context.js';
import type { FoundFile } from './load.js';

/** One blob of the tree at the ref. */
interface TreeEntry {
  readonly path: string;
  readonly oid: string;
  readonly size: number;
}

/**
 * Lists the policy files of `dir` as of `ref`, straight from git's object store: simple-git
 * resolves the ref and lists the tree; one `git cat-file --batch` process reads every blob,
 * so thousands of files cost one process, and the working tree is never touched.
 */
export async function loadGitRef(dir: string, ref: string, ctx: CompileContext): Promise<{ files: FoundFile[]; origin: Origin } | undefined> {
  let top: string;
  let prefix: string;
  let commit: string;
  try {
    const git = simpleGit(dir);
    top = (await git.revparse(['--show-toplevel'])).trim();
    prefix = (await git.revparse(['--show-prefix'])).trim();
  } catch {
    return fatal(ctx, `\`${dir}\` is not inside a git repository`);
  }
  const git = simpleGit(top);
  try {
    if (ref.startsWith('-')) throw new Error('not a ref');
    commit = (await git.revparse(['--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).trim();
    if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new Error('not a commit');
  } catch {
    return fatal(ctx, `git ref \`${ref}\` does not name a commit`);
  }
  const listing = await git.raw(['ls-tree', '-r', '-z', '-l', '--full-tree', commit, ...(prefix === '' ? [] : ['--', prefix])]);
  const entries = parseTree(listing, prefix);
  const blobs = await readBlobs(top, entries.filter((e) => e.size <= (ctx.options.maxFileBytes ?? Infinity)).map((e) => e.oid));
  const files = entries.map<FoundFile>((e) => ({
    path: e.path,
    read: (max) => {
      if (e.size > max) return { tooLarge: e.size };
      const bytes = blobs.get(e.oid);
      if (bytes === undefined) throw new Error(`blob ${e.oid} missing from the object store`);
      return bytes;
    },
  }));
  return { files, origin: { kind: 'git', root: dir, ref, commit } };
}

function fatal(ctx: CompileContext, detail: string): undefined {
  ctx.fatal = true;
  ctx.report(diag('VG1012', fileStart(''), { detail }));
  return undefined;
}

/** Parses `ls-tree -r -z -l` output, keeping policy files (regular blobs) under the prefix. */
function parseTree(listing: string, prefix: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (const record of listing.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab === -1) continue;
    const [mode, type, oid, size] = record.slice(0, tab).split(/ +/);
    const full = record.slice(tab + 1);
    if (type !== 'blob' || mode === '120000' || oid === undefined) continue;
    if (!full.startsWith(prefix)) continue;
    const rel = full.slice(prefix.length);
    const parts = rel.split('/');
    if (parts.some((p) => p.startsWith('.') || p === 'node_modules')) continue;
    if (!/\.ya?ml$/i.test(rel)) continue;
    out.push({ path: rel, oid, size: Number(size) });
  }
  return out;
}

/** Reads blobs through one `git cat-file --batch` process; returns their bytes by object id. */
export function readBlobs(cwd: string, oids: readonly string[]): Promise<Map<string, Uint8Array>> {
  const unique = [...new Set(oids)];
  return new Promise((resolve, reject) => {
    const result = new Map<string, Uint8Array>();
    if (unique.length === 0) return resolve(result);
    const child = spawn('git', ['cat-file', '--batch'], { cwd, stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', () => {
      const all = Buffer.concat(chunks);
      let at = 0;
      while (at < all.length) {
        const nl = all.indexOf(10, at);
        if (nl === -1) break;
        const [oid, type, size] = all.subarray(at, nl).toString('latin1').split(' ');
        if (type === 'missing' || oid === undefined) { at = nl + 1; continue; }
        const n = Number(size);
        result.set(oid, all.subarray(nl + 1, nl + 1 + n));
        at = nl + 1 + n + 1;
      }
      resolve(result);
    });
    child.stdin.end(unique.join('\n') + '\n');
  });
}
