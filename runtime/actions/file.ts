/**
 * The file action: appends each alert (with its matched event, when attached) as one JSON line,
 * and starts a new file by size or age. A closed file is renamed with its UTC start time
 * (`alerts.20240101T000000Z.jsonl`), the oldest beyond `maxFiles` are removed, and `onClose`
 * hears of each closed file so log signing can sign it.
 */
import { appendFile, mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
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

/** The name a file gets when it is closed. */
export function rotatedName(file: string, startedMs: number): string {
  const ext = path.extname(file);
  return path.join(path.dirname(file), `${path.basename(file, ext)}.${stampOf(startedMs)}${ext}`);
}

/** A file action's writer: appends lines, rotates, prunes. Writes are serialized. */
export class FileWriter {
  private started: number | undefined;
  private size = -1;
  private chain: Promise<void> = Promise.resolve();
  private readonly maxBytes: number;
  private readonly everyMs: number;
  private readonly now: () => number;

  constructor(private readonly spec: FileSpec, private readonly hooks: FileActionHooks = {}) {
    this.maxBytes = spec.rotate?.maxSizeMb ? spec.rotate.maxSizeMb * 1024 * 1024 : Infinity;
    this.everyMs = durationMs(spec.rotate?.every, Infinity);
    this.now = hooks.now ?? Date.now;
  }

  /** Appends one line (a newline is added); resolves once it is written. */
  append(line: string): Promise<void> {
    const next = this.chain.then(() => this.write(line));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async write(line: string): Promise<void> {
    const file = this.spec.path;
    if (this.size < 0) {
      await mkdir(path.dirname(file), { recursive: true });
      try {
        const s = await stat(file);
        this.size = s.size;
        this.started = s.birthtimeMs > 0 ? s.birthtimeMs : s.mtimeMs;
      } catch {
        this.size = 0;
      }
    }
    const bytes = Buffer.byteLength(line) + 1;
    const now = this.now();
    if (this.size > 0 && (this.size + bytes > this.maxBytes || (this.started !== undefined && now - this.started >= this.everyMs))) await this.rotate();
    if (this.size === 0) this.started = now;
    await appendFile(file, line + '\n');
    this.size += bytes;
  }

  private async rotate(): Promise<void> {
    const file = this.spec.path;
    const closed = rotatedName(file, this.started ?? this.now());
    await rename(file, closed);
    this.size = 0;
    await this.hooks.onClose?.(closed);
    const keep = this.spec.rotate?.maxFiles;
    if (keep === undefined) return;
    const ext = path.extname(file);
    const prefix = `${path.basename(file, ext)}.`;
    const rotated = (await readdir(path.dirname(file))).filter((n) => n.startsWith(prefix) && n.endsWith(ext) && /\.\d{8}T\d{6}Z/.test(n)).sort();
    for (const old of rotated.slice(0, Math.max(0, rotated.length - keep))) await unlink(path.join(path.dirname(file), old)).catch(() => undefined);
  }
}

/** Builds the deliverer of a `file` action. */
export function fileDeliverer(spec: FileSpec, hooks: FileActionHooks = {}): Deliver {
  const writer = new FileWriter(spec, hooks);
  return (alert: AlertRecord) => writer.append(alertLine(alert));
}
