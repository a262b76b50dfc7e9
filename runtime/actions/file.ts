/**
 * The file action: appends each alert (with its matched event, when attached) as one JSON line,
 * and starts a new file by size or age. A closed file is renamed with its UTC start time
 * (`alerts.20240101T000000Z.jsonl`), the oldest beyond `maxFiles` are removed, and `onClose`
 * hears of each closed file so log signing can sign it.
 */
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { ActionSpec } from '../../schema/generated/action.js';
import type { AlertRecord, Deliver } from './alert-record.js';
import { alertLine } from './alert.js';
import { durationMs } from './duration.js';

type FileSpec = NonNullable<ActionSpec['file']>;

/** Hooks of a file action. */
export interface FileActionHooks {
  /** Called with the path of each file closed by rotation (log signing signs it). */
  readonly onClose?: (closedPath: string) => void | Promise<void>;
  readonly now?: () => number;
}

function stampOf(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** The name a file gets when it is closed (`n` tells apart files closed within one second). */
export function rotatedName(file: string, startedMs: number, n = 0): string {
  const ext = path.extname(file);
  return path.join(path.dirname(file), `${path.basename(file, ext)}.${stampOf(startedMs)}${n > 0 ? `-${n}` : ''}${ext}`);
}

/** Per file path (resolved), shared by every writer of this process: its write queue and when its current file started. */
const files = new Map<string, { chain: Promise<void>; started?: number; checked: boolean }>();

/**
 * A file action's writer: appends lines, rotates, prunes. Writes to one path are serialized
 * across every action that names it. Each line is one `write` on an append-mode handle; a file
 * whose last line is torn (the agent was killed mid-write, or the disk filled) is cut back to its
 * last whole line before the next one is appended: that alert was never acknowledged, so it is
 * delivered again.
 */
export class FileWriter {
  private readonly maxBytes: number;
  private readonly everyMs: number;
  private readonly now: () => number;
  private readonly state: { chain: Promise<void>; started?: number; checked: boolean };

  constructor(private readonly spec: FileSpec, private readonly hooks: FileActionHooks = {}) {
    this.maxBytes = spec.rotate?.maxSizeMb ? spec.rotate.maxSizeMb * 1024 * 1024 : Infinity;
    this.everyMs = durationMs(spec.rotate?.every, Infinity);
    this.now = hooks.now ?? Date.now;
    const key = path.resolve(spec.path);
    let state = files.get(key);
    if (!state) files.set(key, (state = { chain: Promise.resolve(), checked: false }));
    this.state = state;
  }

  /** Appends one line (a newline is added); resolves once it is written. */
  append(line: string): Promise<void> {
    const next = this.state.chain.then(() => this.write(line));
    this.state.chain = next.catch(() => undefined);
    return next;
  }

  private async write(line: string): Promise<void> {
    const file = this.spec.path;
    // Every time: a directory removed while the agent runs is made again.
    await mkdir(path.dirname(file), { recursive: true });
    let size = 0;
    try {
      const s = await stat(file);
      size = s.size;
      this.state.started ??= s.birthtimeMs > 0 ? s.birthtimeMs : s.mtimeMs;
    } catch {
      this.state.started = undefined;
    }
    if (size > 0 && !this.state.checked) size = await cutTornLine(file, size);
    this.state.checked = true;
    const bytes = Buffer.from(line + '\n', 'utf8');
    const now = this.now();
    const started = this.state.started;
    if (size > 0 && (size + bytes.length > this.maxBytes || (started !== undefined && now - started >= this.everyMs))) {
      await this.rotate(started ?? now);
      size = 0;
    }
    if (size === 0) this.state.started = now;
    const handle = await open(file, 'a');
    try {
      // A write may take only part of the line (a file size limit, a nearly full disk): the rest
      // is written next, and fails with the reason if it cannot be.
      for (let at = 0; at < bytes.length; ) {
        const { bytesWritten } = await handle.write(bytes, at, bytes.length - at);
        if (bytesWritten === 0) throw new Error(`\`${file}\` took no more bytes`);
        at += bytesWritten;
      }
    } catch (error) {
      // A partial line may be on disk (a full disk): the next write cuts it back first.
      this.state.checked = false;
      throw error;
    } finally {
      await handle.close();
    }
  }

  private async rotate(started: number): Promise<void> {
    const file = this.spec.path;
    // Named by its start (to the second); a second file of the same second gets a counter, as a
    // rename would silently replace it.
    let closed = rotatedName(file, started);
    for (let n = 1; await exists(closed); n++) closed = rotatedName(file, started, n);
    await rename(file, closed);
    await this.hooks.onClose?.(closed);
    const keep = this.spec.rotate?.maxFiles;
    if (keep === undefined) return;
    const ext = path.extname(file);
    const prefix = `${path.basename(file, ext)}.`;
    const rotated = (await readdir(path.dirname(file))).filter((n) => n.startsWith(prefix) && n.endsWith(ext) && /\.\d{8}T\d{6}Z/.test(n)).sort();
    for (const old of rotated.slice(0, Math.max(0, rotated.length - keep))) await unlink(path.join(path.dirname(file), old)).catch(() => undefined);
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

/** Cuts a file back to just after its last newline when it ends inside a line; returns its size. */
async function cutTornLine(file: string, size: number): Promise<number> {
  const handle = await open(file, 'r+');
  try {
    const buf = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const from = Math.max(0, end - buf.length);
      const { bytesRead } = await handle.read(buf, 0, end - from, from);
      const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
      if (nl >= 0) {
        const keep = from + nl + 1;
        if (keep < size) await handle.truncate(keep);
        return keep;
      }
      end = from;
    }
    await handle.truncate(0);
    return 0;
  } finally {
    await handle.close();
  }
}

/** Builds the deliverer of a `file` action. */
export function fileDeliverer(spec: FileSpec, hooks: FileActionHooks = {}): Deliver {
  const writer = new FileWriter(spec, hooks);
  return (alert: AlertRecord) => writer.append(alertLine(alert));
}
