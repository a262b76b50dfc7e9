/**
 * The file-system side of an OUT repository, kept apart so the rest of runtime/bundle stays pure:
 * reading the previous state, listing files, and writing artifacts atomically (temp file + rename,
 * metadata last so a reader never sees a timestamp that points at files not yet written).
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm, lstat } from 'node:fs/promises';
import path from 'node:path';
import { fileRole, METADATA_FILES, TARGETS_DIR, type Artifact } from './layout.js';
import type { RepositoryState } from './tuf-repo.js';

/** Reads a file, or undefined when it does not exist. */
async function readIfExists(file: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Every regular file and symlink under `dir`, as sorted `/`-separated relative paths (symlinks are
 * listed, never followed: a verifier refuses them). With `regularOnly`, symlinks and other
 * special files are left out: what serves or publishes the files reads only OUT's own.
 */
export async function listFiles(dir: string, regularOnly = false): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(child);
      else if (!regularOnly || e.isFile()) out.push(child);
    }
  }
  try {
    await walk('');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return out.sort();
}

/** The raw metadata already in OUT (an empty state when OUT does not exist). */
export async function readRepositoryState(dir: string): Promise<RepositoryState> {
  const roots = new Map<number, Uint8Array>();
  for (const rel of await listFiles(dir)) {
    const role = fileRole(rel);
    if (role.kind === 'root') {
      const bytes = await readIfExists(path.join(dir, rel));
      if (bytes) roots.set(role.version, bytes);
    }
  }
  const [timestamp, snapshot, targets] = await Promise.all(
    [METADATA_FILES.timestamp, METADATA_FILES.snapshot, METADATA_FILES.targets].map((f) => readIfExists(path.join(dir, f))),
  );
  return { roots, ...(timestamp ? { timestamp } : {}), ...(snapshot ? { snapshot } : {}), ...(targets ? { targets } : {}) };
}

/** Write order: targets first, then targets, snapshot and timestamp metadata, so readers never see dangling metadata. */
function writeRank(rel: string): number {
  const role = fileRole(rel);
  return { target: 0, root: 1, targets: 2, snapshot: 3, timestamp: 4, unknown: 0 }[role.kind];
}

/** Writes one file atomically (temp file in the same directory, then rename). */
function writeAtomic(file: string, bytes: Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}

/** Bytes compared at a file's end before the whole file is read. */
const TAIL_BYTES = 512;

/**
 * Whether `file` already holds exactly `bytes`. The size and then the last bytes are compared
 * first: a signed file that changed (a provenance envelope ends with its signature) differs
 * there, so it is not read whole only to be replaced.
 */
function holds(file: string, bytes: Uint8Array): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    if (size !== bytes.length) return false;
    const want = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const tail = Math.min(size, TAIL_BYTES);
    const end = Buffer.allocUnsafe(tail);
    if (readSync(fd, end, 0, tail, size - tail) !== tail || !end.equals(want.subarray(size - tail))) return false;
    // Positional reads leave the file position at 0: this reads the whole file.
    return readFileSync(fd).equals(want);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes artifacts into OUT; a file that already has exactly these bytes is left alone (a rebuild
 * rewrites only what changed, and unchanged rule packs keep their files). With `prune`, target
 * files of earlier builds that are no longer published are removed (only under `targets/`), so
 * OUT holds nothing unsigned. The writes are synchronous, one file after another: simpler, and
 * no slower in paired rebuilds than overlapping them on the thread pool.
 */
export async function writeArtifacts(dir: string, artifacts: readonly Artifact[], opts: { prune?: boolean } = {}): Promise<void> {
  const ordered = [...artifacts].sort((a, b) => writeRank(a.path) - writeRank(b.path) || (a.path < b.path ? -1 : 1));
  for (const a of ordered) {
    if (path.isAbsolute(a.path) || a.path.split('/').includes('..')) throw new Error(`refusing to write outside OUT: ${a.path}`);
    const file = path.join(dir, ...a.path.split('/'));
    if (!holds(file, a.bytes)) writeAtomic(file, a.bytes);
  }
  if (!opts.prune) return;
  const keep = new Set(artifacts.map((a) => a.path));
  for (const rel of await listFiles(dir)) {
    if (rel.startsWith(`${TARGETS_DIR}/`) && !keep.has(rel)) {
      const file = path.join(dir, ...rel.split('/'));
      if ((await lstat(file)).isFile()) await rm(file);
    }
  }
}
