import { closeSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { diag } from '../diagnostics/diagnostic.js';
import { fileStart, span } from '../span.js';
import type { Origin, Source } from '../source.js';
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_STAT_SLACK_MS, type CompileContext } from '../context.js';
import { decode } from './decode.js';
import { loadGitRef } from './load-git.js';

/** What to compile: a directory in the working tree, or that directory as of a git ref. */
export interface Input {
  /** Absolute path of the policy directory (the root of every reported path). */
  readonly dir: string;
  /** A git ref (branch, tag, commit); read from the object store, the working tree untouched. */
  readonly ref?: string;
}

/** A file found in the input, before its bytes are read. */
export interface FoundFile {
  /** Path relative to the input directory, `/`-separated. */
  readonly path: string;
  /** Its bytes, or only its size when that is over `max` (then nothing is read). */
  readonly read: (max: number) => Uint8Array | { readonly tooLarge: number };
  /** Working-tree files: the stat signature, when the file last changed before `before` (ms since the epoch). */
  readonly stat?: (before: number) => string | undefined;
}

/** The digest the cache holds for a file of this origin and stat signature, if it saw that signature before. */
export type KnownDigest = (origin: Origin, path: string, stat: string) => string | undefined;

/** Whether a file name is a policy file (YAML). */
export function isPolicyFile(name: string): boolean {
  return /\.ya?ml$/i.test(name);
}

/** Whether a directory entry is skipped: hidden entries (.git, .github) and node_modules. */
export function isSkipped(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules';
}

/**
 * Reads every policy file under the input, sorted by path. Files that cannot be used (too
 * large, binary, not UTF-8) are reported and left out; their text is kept for code frames.
 * With `known` (the compile cache), a working-tree file whose stat signature the cache saw with
 * its digest is not read at all: its text is read only if a later stage asks for it. As in git's
 * index, a file that changed shortly before the build is always read, since it could change again
 * within the file system's time resolution without its times or size changing.
 */
export async function load(input: Input, ctx: CompileContext, known?: KnownDigest): Promise<Source[]> {
  const found = input.ref === undefined ? await listWorktree(input.dir, ctx) : await loadGitRef(input.dir, input.ref, ctx);
  if (found === undefined) return [];
  const { files, origin } = found;
  if (files.length === 0 && !ctx.fatal) ctx.report(diag('VG1013', fileStart('')));
  const max = ctx.options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const before = Date.now() - (ctx.options.statSlackMs ?? DEFAULT_STAT_SLACK_MS);
  const sources: Source[] = [];
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of files) {
    const stat = known === undefined ? undefined : file.stat?.(before);
    const digest = stat === undefined ? undefined : known?.(origin, file.path, stat);
    if (stat !== undefined && digest !== undefined) {
      const source = unreadSource(file, origin, digest, stat, (path) => ctx.sourceChanged(path));
      ctx.sources.set(file.path, source);
      sources.push(source);
      continue;
    }
    let bytes: Uint8Array | { readonly tooLarge: number };
    try {
      bytes = file.read(max);
    } catch (error) {
      ctx.report(diag('VG1010', fileStart(file.path), { reason: reason(error) }));
      continue;
    }
    if (!(bytes instanceof Uint8Array)) {
      ctx.sources.set(file.path, { path: file.path, text: '', origin, digest: '' });
      ctx.report(diag('VG1006', fileStart(file.path), { size: bytes.tooLarge, limit: max }));
      continue;
    }
    const clean = cleanSource(file.path, bytes, origin, stat);
    if (clean) {
      ctx.sources.set(file.path, clean);
      sources.push(clean);
      continue;
    }
    const decoded = decode(bytes);
    const source: Source = { path: file.path, text: decoded.text, origin, digest: decoded.digest };
    ctx.sources.set(file.path, source);
    if (decoded.ok) sources.push(source);
    else if (decoded.problem === 'binary') ctx.report(diag('VG1007', span(file.path, decoded.offset)));
    else ctx.report(diag('VG1008', span(file.path, decoded.offset), { byte: decoded.byte }));
  }
  return sources;
}

/**
 * A source for bytes that decode without a problem (valid UTF-8, no NUL), with its text decoded
 * only when first read: a file the compile cache holds is usually never read as text, and
 * thousands of texts that are never read cost time to decode and to move around the heap.
 */
function cleanSource(file: string, bytes: Uint8Array, origin: Origin, stat: string | undefined): Source | undefined {
  if (bytes.indexOf(0) !== -1 || !isUtf8(bytes)) return undefined;
  const digest = createHash('sha256').update(bytes).digest('hex');
  let text: string | undefined;
  return {
    path: file,
    origin,
    digest,
    ...(stat === undefined ? {} : { stat }),
    get text(): string {
      return (text ??= decode(bytes).text);
    },
  };
}

/**
 * A file the cache vouches for by its stat signature: its digest is the cached one, and its
 * bytes are read only if its text is asked for (a code frame, or a stage that parses it again).
 * Bytes read that late are checked against that digest: a file saved during the build is
 * reported through `changed` (the build then fails and is run again), never mixed in.
 */
function unreadSource(file: FoundFile, origin: Origin, digest: string, stat: string, changed: (path: string) => void): Source {
  let text: string | undefined;
  return {
    path: file.path,
    origin,
    digest,
    stat,
    get text(): string {
      if (text !== undefined) return text;
      let bytes: Uint8Array | { readonly tooLarge: number };
      try {
        bytes = file.read(Number.MAX_SAFE_INTEGER);
      } catch {
        changed(file.path);
        return (text = '');
      }
      if (!(bytes instanceof Uint8Array) || createHash('sha256').update(bytes).digest('hex') !== digest) {
        changed(file.path);
        return (text = '');
      }
      return (text = decode(bytes).text);
    },
  };
}

/** A file's stat signature (size, modification and change times, inode), or undefined when it changed at or after `before`. */
function statSignature(file: string, before: number): string | undefined {
  try {
    const st = statSync(file);
    if (!st.isFile() || Math.max(st.mtimeMs, st.ctimeMs) >= before) return undefined;
    return `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Lists the policy files of a working-tree directory, following symlinks but not loops. */
async function listWorktree(dir: string, ctx: CompileContext): Promise<{ files: FoundFile[]; origin: Origin } | undefined> {
  let root: string;
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    root = realpathSync(dir);
  } catch {
    ctx.fatal = true;
    ctx.report(diag('VG1012', fileStart(''), { detail: `policy directory \`${dir}\` does not exist or is not a directory` }));
    return undefined;
  }
  const files: FoundFile[] = [];
  walk(root, '', [root], files, ctx);
  return { files, origin: { kind: 'worktree', root: dir } };
}

/** Depth-first walk; `ancestors` holds the real paths of the directories being read, to spot loops. */
function walk(abs: string, rel: string, ancestors: string[], out: FoundFile[], ctx: CompileContext): void {
  let entries;
  try {
    entries = readdirSync(abs, { withFileTypes: true });
  } catch (error) {
    ctx.report(diag('VG1010', fileStart(rel), { reason: reason(error) }));
    return;
  }
  for (const entry of entries) {
    if (isSkipped(entry.name)) continue;
    const childAbs = path.join(abs, entry.name);
    const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const target = statSync(childAbs);
        isDir = target.isDirectory();
        isFile = target.isFile();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
          ctx.report(diag('VG1011', fileStart(childRel), { target: childRel }));
        } else if (isPolicyFile(entry.name)) {
          ctx.report(diag('VG1010', fileStart(childRel), { reason: reason(error) }));
        }
        continue;
      }
    }
    if (isDir) {
      // A plain subdirectory's real path is its parent's plus its name (never an ancestor); only
      // a symlink can lead back up.
      let real = path.join(ancestors[ancestors.length - 1]!, entry.name);
      try {
        if (entry.isSymbolicLink()) real = realpathSync(childAbs);
      } catch (error) {
        ctx.report(diag('VG1010', fileStart(childRel), { reason: reason(error) }));
        continue;
      }
      if (ancestors.includes(real)) {
        const back = path.relative(ancestors[0]!, real).split(path.sep).join('/');
        ctx.report(diag('VG1011', fileStart(childRel), { target: back === '' ? '.' : back }));
        continue;
      }
      walk(childAbs, childRel, [...ancestors, real], out, ctx);
    } else if (isFile && isPolicyFile(entry.name)) {
      out.push({ path: childRel, read: (max) => readUpTo(childAbs, max), stat: (before) => statSignature(childAbs, before) });
    }
  }
}

/** A file's bytes, or its size when over `max`: one open, stat and read (no separate stat of the path). */
function readUpTo(file: string, max: number): Uint8Array | { readonly tooLarge: number } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > max) return { tooLarge: size };
    // As readFileSync does for a regular file: the size it has now (without a second stat).
    const bytes = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, bytes, at, size - at, null);
      if (n === 0) break;
      at += n;
    }
    return at === size ? bytes : bytes.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/** A short, stable reason for a file-system error (its code, not the OS-specific text). */
export function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  return code ?? (error instanceof Error ? error.message : String(error));
}
