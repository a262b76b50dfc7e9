/**
 * Reads files a source follows, from persisted offsets. Offsets are keyed by file identity
 * (device and inode, which NTFS also provides), so a log renamed by rotation resumes where it
 * was; a rotated file that no longer matches the patterns is drained through its still-open
 * handle before it is let go. A fingerprint of the first bytes tells a truncated or replaced file
 * from a grown one. An offset moves only after the sink took the rows read before it.
 */
import { createHash } from 'node:crypto';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import type { Store } from '../state/store.js';
import type { DelimitedState, ParsedRow } from './delimited.js';
import { problem, type Problem, type ProblemSink } from './problems.js';
import { MAX_LINE_BYTES } from './line-stream.js';

/** Parses a chunk of complete lines from a cursor; returns characters consumed and the new cursor. */
export type ChunkParser = (text: string, cursor: DelimitedState, final: boolean) => { rows: ParsedRow[]; problems: Problem[]; consumed: number; state: DelimitedState };

/** How a follower reads. */
export interface FollowerOptions {
  readonly source: string;
  /** File paths or patterns with wildcards in the file name (`C:\logs\DhcpSrvLog-*.log`). */
  readonly patterns: readonly string[];
  readonly store: Store;
  readonly parse: ChunkParser;
  /** Takes the rows read from a file; resolves once they are processed. */
  readonly deliver: (rows: readonly ParsedRow[], file: string) => void | Promise<void>;
  readonly report: ProblemSink;
  /** Keep files open and wait for more data (a last line without newline is not final). */
  readonly follow: boolean;
  /** Bytes read at a time; a line longer than this is reported and skipped. */
  readonly chunkBytes?: number;
}

interface Cursor {
  offset: number;
  line: number;
  state: DelimitedState;
  fingerprint: string;
  /** Inside a line longer than a chunk: drop bytes up to the next newline. */
  skipping: boolean;
}

const FINGERPRINT_BYTES = 1024;

/** Expands paths and file-name wildcards to the existing files, sorted. */
export async function expandPatterns(patterns: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const p of patterns) {
    const dir = path.dirname(p);
    const base = path.basename(p);
    if (!picomatch.scan(base).isGlob) {
      out.add(p);
      continue;
    }
    const match = picomatch(base, { windows: path.sep === '\\', nocase: path.sep === '\\' });
    try {
      for (const name of await readdir(dir)) if (match(name)) out.add(path.join(dir, name));
    } catch {
      // A missing directory just has no files yet.
    }
  }
  return [...out].sort();
}

async function fingerprintOf(handle: FileHandle, size: number): Promise<string> {
  const n = Math.min(size, FINGERPRINT_BYTES);
  const buf = Buffer.alloc(n);
  if (n > 0) await handle.read(buf, 0, n, 0);
  return `${n}:${createHash('sha256').update(buf).digest('hex').slice(0, 32)}`;
}

/** Follows a source's files; call `poll()` to read what is new. */
export class FileFollower {
  private recovered = false;
  private readonly handles = new Map<string, { handle: FileHandle; path: string }>();
  private readonly chunkBytes: number;
  private readonly getCursor;
  private readonly putCursor;

  constructor(private readonly options: FollowerOptions) {
    this.chunkBytes = options.chunkBytes ?? MAX_LINE_BYTES;
    const db = options.store.db;
    this.getCursor = db.prepare<[string, string], { offset: number; line: number; state: string | null; fingerprint: string }>('SELECT offset, line, state, fingerprint FROM source_offsets WHERE source = ? AND file_id = ?');
    this.putCursor = db.prepare(
      `INSERT INTO source_offsets (source, file_id, path, fingerprint, offset, line, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source, file_id) DO UPDATE SET path = excluded.path, fingerprint = excluded.fingerprint, offset = excluded.offset, line = excluded.line, state = excluded.state, updated_at = excluded.updated_at`,
    );
  }

  /** Reads every matching file (and any rotated-away file still open) to its current end; returns rows delivered. */
  async poll(): Promise<number> {
    const files = await expandPatterns(this.options.patterns);
    const current = new Map<string, string>();
    for (const file of files) {
      try {
        const s = await stat(file, { bigint: true });
        if (s.isFile()) current.set(`${s.dev}:${s.ino}`, file);
      } catch {
        // Gone between listing and stat: the next poll sees what replaced it.
      }
    }
    let delivered = 0;
    if (!this.recovered) {
      this.recovered = true;
      delivered += await this.recoverRotated(current);
    }
    // Rotated or deleted files first: their remaining lines are older than the new file's.
    for (const [id, open] of [...this.handles]) {
      if (current.has(id)) continue;
      delivered += await this.drain(id, open.handle, open.path, true);
      await open.handle.close();
      this.handles.delete(id);
    }
    for (const [id, file] of current) {
      let entry = this.handles.get(id);
      if (!entry) {
        try {
          entry = { handle: await open(file, 'r'), path: file };
        } catch (error) {
          this.options.report(problem('VS1007', this.options.source, { file, detail: (error as NodeJS.ErrnoException).code ?? 'error' }));
          continue;
        }
        this.handles.set(id, entry);
      }
      entry.path = file;
      delivered += await this.drain(id, entry.handle, file, !this.options.follow);
    }
    if (!this.options.follow) await this.close();
    return delivered;
  }

  /**
   * After a restart: files with a stored offset that no longer match the patterns were rotated
   * while the agent was down. Find each by identity next to where it was, read its rest, and
   * forget cursors of files that are gone.
   */
  private async recoverRotated(current: ReadonlyMap<string, string>): Promise<number> {
    const rows = this.options.store.db.prepare<[string], { file_id: string; path: string }>('SELECT file_id, path FROM source_offsets WHERE source = ?').all(this.options.source);
    let delivered = 0;
    const listings = new Map<string, Map<string, string>>();
    for (const row of rows) {
      if (current.has(row.file_id)) continue;
      const dir = path.dirname(row.path);
      let ids = listings.get(dir);
      if (!ids) {
        ids = new Map();
        listings.set(dir, ids);
        for (const name of await readdir(dir).catch(() => [] as string[])) {
          const full = path.join(dir, name);
          const s = await stat(full, { bigint: true }).catch(() => undefined);
          if (s?.isFile()) ids.set(`${s.dev}:${s.ino}`, full);
        }
      }
      const moved = ids.get(row.file_id);
      if (!moved) {
        this.options.store.db.prepare('DELETE FROM source_offsets WHERE source = ? AND file_id = ?').run(this.options.source, row.file_id);
        continue;
      }
      const handle = await open(moved, 'r').catch(() => undefined);
      if (!handle) continue;
      try {
        delivered += await this.drain(row.file_id, handle, moved, true);
      } finally {
        await handle.close();
      }
    }
    return delivered;
  }

  /** Closes every open file. */
  async close(): Promise<void> {
    for (const { handle } of this.handles.values()) await handle.close().catch(() => undefined);
    this.handles.clear();
  }

  private async cursor(id: string, handle: FileHandle, file: string, size: number): Promise<Cursor> {
    const row = this.getCursor.get(this.options.source, id);
    const fresh = async (): Promise<Cursor> => ({ offset: 0, line: 0, state: { line: 0 }, fingerprint: await fingerprintOf(handle, size), skipping: false });
    if (!row) return fresh();
    const storedBytes = Number(row.fingerprint.split(':')[0]);
    const same = size >= storedBytes && (await fingerprintOf(handle, storedBytes)) === row.fingerprint;
    if (!same || size < row.offset) {
      this.options.report(problem('VS1008', this.options.source, { file }));
      return fresh();
    }
    const saved = row.state ? (JSON.parse(row.state) as { state: DelimitedState; skipping?: boolean }) : { state: { line: row.line } };
    return { offset: row.offset, line: row.line, state: saved.state, fingerprint: row.fingerprint, skipping: saved.skipping === true };
  }

  private save(id: string, file: string, c: Cursor): void {
    this.putCursor.run(this.options.source, id, file, c.fingerprint, c.offset, c.line, JSON.stringify({ state: c.state, ...(c.skipping ? { skipping: true } : {}) }), Date.now());
  }

  /** Reads one file from its cursor to `size`; `final` means no more data will follow. */
  private async drain(id: string, handle: FileHandle, file: string, final: boolean): Promise<number> {
    const size = (await handle.stat()).size;
    const c = await this.cursor(id, handle, file, size);
    if (!c.fingerprint.startsWith(`${FINGERPRINT_BYTES}:`) && size > Number(c.fingerprint.split(':')[0])) c.fingerprint = await fingerprintOf(handle, size);
    let delivered = 0;
    while (c.offset < size) {
      const len = Math.min(this.chunkBytes, size - c.offset);
      const buf = Buffer.alloc(len);
      const { bytesRead } = await handle.read(buf, 0, len, c.offset);
      // The file shrank since its size was taken (truncated, copytruncate): the next poll sees it.
      if (bytesRead === 0) break;
      if (c.skipping) {
        const nl = buf.indexOf(10);
        if (nl < 0 || nl >= bytesRead) c.offset += bytesRead;
        else {
          c.offset += nl + 1;
          c.state = { ...c.state, line: c.state.line + 1 };
          c.line = c.state.line;
          c.skipping = false;
        }
        this.save(id, file, c);
        continue;
      }
      const atEnd = c.offset + bytesRead >= size;
      const lastFinal = final && atEnd;
      let usable = bytesRead;
      if (!lastFinal) {
        const nl = buf.lastIndexOf(10, bytesRead - 1);
        if (nl < 0) {
          if (bytesRead < this.chunkBytes) break;
          // A whole chunk without a newline: the line is too long to hold; skip it, reported.
          this.options.report(problem('VS1006', this.options.source, { file, line: c.line + 1, limit: this.chunkBytes }));
          c.offset += bytesRead;
          c.skipping = true;
          this.save(id, file, c);
          continue;
        }
        usable = nl + 1;
      }
      const text = buf.toString('utf8', 0, usable);
      const result = this.options.parse(text, c.state, lastFinal);
      result.problems.forEach((p) => this.options.report({ ...p, file }));
      if (result.rows.length) await this.options.deliver(result.rows, file);
      delivered += result.rows.length;
      const bytes = result.consumed === text.length ? usable : consumedBytes(buf, text, result.consumed);
      c.offset += bytes;
      c.state = result.state;
      c.line = result.state.line;
      this.save(id, file, c);
      if (bytes === 0) break;
    }
    return delivered;
  }
}

/**
 * The bytes of `buf` that decoded to the first `chars` characters of `text`. Parsers stop at a line
 * start, so it is counted in newlines: an invalid byte decodes to U+FFFD, one character that
 * Buffer.byteLength would count as three bytes, while a newline byte is always a newline.
 */
function consumedBytes(buf: Buffer, text: string, chars: number): number {
  if (chars === 0) return 0;
  if (text.charCodeAt(chars - 1) !== 10) return Buffer.byteLength(text.slice(0, chars));
  let lines = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < chars; i = text.indexOf('\n', i + 1)) lines++;
  let at = -1;
  for (let n = 0; n < lines; n++) at = buf.indexOf(10, at + 1);
  return at + 1;
}
