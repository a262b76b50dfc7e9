/**
 * Reads the receiver spool on the thread that evaluates events: records are read back from the
 * segment files (the page cache, usually) up to the ends the writing thread announced, and the
 * position after the last record the sink took is written to `read-offset` (rewritten in place,
 * fixed width, with a checksum, so a torn write is recognised) within about 100 ms, then segments
 * wholly before it are deleted. A crash in those 100 ms delivers the records after the last saved offset again: at
 * least once, never lost.
 */
import { closeSync, existsSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { problem, type ProblemSink } from '../problems.js';
import { encodeOffset, OFFSET_FILE, readRecord, recordLength, segmentName, type SpoolPosition, type SpoolRecord } from './spool-format.js';

/** How long a processed position may wait before it is saved. */
const SAVE_MS = 100;

/** Bytes read at once (a larger record is read whole). */
const READ_BYTES = 256 << 10;

/** Records read together and the position after them. */
export interface SpoolRead {
  readonly records: readonly SpoolRecord[];
  readonly events: number;
  readonly next: SpoolPosition;
}

/** How a SpoolReader reads. */
export interface SpoolReaderOptions {
  /** Names the receiver in problems (default `http-receiver`). */
  readonly origin?: string;
  /**
   * Reads share one buffer: the records of a `read` (their payloads) are valid only until the next
   * `read`, and a busy receiver does not allocate a new buffer (and make garbage of it) per batch.
   */
  readonly reuse?: boolean;
  /**
   * Checks each record's CRC (default). The receiver turns it off: recovery checked every record
   * that was there at start, and every later one was announced by this run's writer after its write
   * returned, so a second check would only repeat the writer's own bytes. Magic, kind and lengths
   * are still checked.
   */
  readonly verify?: boolean;
}

/** The reading end of a spool directory. */
export class SpoolReader {
  private readonly ends = new Map<number, number>();
  private pos: SpoolPosition;
  private saved: SpoolPosition;
  private fd: number | undefined;
  private fdSegment = -1;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private offsetFd: number | undefined;
  /** With `reuse`, the buffer every read of up to READ_BYTES goes into. */
  private scratch: Buffer | undefined;

  private readonly origin: string;
  private readonly reuse: boolean;
  private readonly verify: boolean;

  /** Reads the spool in `dir` from `start`, up to the segment ends announced so far (`ends`, then `extend`). */
  constructor(private readonly dir: string, start: SpoolPosition, ends: Iterable<readonly [number, number]>, private readonly report: ProblemSink, options: SpoolReaderOptions = {}) {
    this.origin = options.origin ?? 'http-receiver';
    this.reuse = options.reuse ?? false;
    this.verify = options.verify ?? true;
    this.pos = start;
    this.saved = start;
    this.extend(ends);
  }

  /** Records that segments now end at these offsets (announced by the writer after its writes). */
  extend(ends: Iterable<readonly [number, number]>): void {
    for (const [segment, end] of ends) if (end > (this.ends.get(segment) ?? -1)) this.ends.set(segment, end);
  }

  /** True when announced records wait after the current position. */
  get pending(): boolean {
    return this.nextPosition(this.pos) !== undefined;
  }

  /** Where reading goes on from `p`: `p` itself while its segment has more, else the start of the next announced segment. */
  private nextPosition(p: SpoolPosition): SpoolPosition | undefined {
    const end = this.ends.get(p.segment);
    if (end !== undefined && p.offset < end) return p;
    let next: number | undefined;
    for (const s of this.ends.keys()) if (s > p.segment && (next === undefined || s < next)) next = s;
    return next === undefined ? undefined : this.nextPosition({ segment: next, offset: 0 });
  }

  /** Reads records after the current position, up to about `maxEvents` events, without moving past them (see `done`). */
  read(maxEvents: number): SpoolRead {
    const records: SpoolRecord[] = [];
    let events = 0;
    let p = this.pos;
    for (let at = this.nextPosition(p); at && events < maxEvents; at = this.nextPosition(p)) {
      const end = this.ends.get(at.segment)!;
      // The first read of a call may use the shared buffer; a later one (the next segment) must not overwrite the records before it.
      const buf = this.readBytes(at.segment, at.offset, Math.min(end - at.offset, READ_BYTES), this.reuse && records.length === 0);
      let used = 0;
      let damaged = false;
      while (events < maxEvents) {
        const r = readRecord(buf, used, buf.length, this.verify);
        if (typeof r === 'object') {
          records.push(r.record);
          events += r.record.count;
          used = r.next;
          continue;
        }
        if (r === 'short' && used === 0) {
          // A record larger than one read is read whole; a segment shorter than announced is damage.
          const need = recordLength(buf, 0);
          const whole = need !== undefined && need > buf.length && need <= end - at.offset ? readRecord(this.readBytes(at.segment, at.offset, need), 0, need, this.verify) : 'bad';
          if (typeof whole === 'object') {
            records.push(whole.record);
            events += whole.record.count;
            used = whole.next;
          } else damaged = true;
        } else if (r === 'bad') damaged = true;
        break;
      }
      if (damaged) {
        // Damaged after recovery checked it (the disk, or another process): the rest of the segment is skipped rather than blocking the queue.
        this.report(problem('VS1012', this.origin, { file: path.join(this.dir, segmentName(at.segment)), detail: `damaged spool record at byte ${at.offset + used}; the ${end - at.offset - used} bytes from there were dropped` }));
        used = end - at.offset;
      }
      p = { segment: at.segment, offset: at.offset + used };
    }
    return { records, events, next: p };
  }

  private readBytes(segment: number, offset: number, length: number, shared = false): Buffer {
    if (this.fdSegment !== segment) {
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
      this.fd = openSync(path.join(this.dir, segmentName(segment)), 'r');
      this.fdSegment = segment;
    }
    const buf = shared ? (this.scratch ??= Buffer.allocUnsafe(READ_BYTES)).subarray(0, length) : Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd!, buf, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  }

  /** Marks everything before `next` processed; it is saved within SAVE_MS. */
  done(next: SpoolPosition): void {
    // After `close` (a sink that returned only after the receiver stopped), the next start reads those records again.
    if (this.closed || (next.segment === this.pos.segment && next.offset === this.pos.offset)) return;
    this.pos = next;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.save();
    }, SAVE_MS);
    this.timer.unref();
  }

  /** Saves the processed position now, then deletes the segments wholly before it. */
  save(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.saved.segment === this.pos.segment && this.saved.offset === this.pos.offset) return;
    try {
      const file = path.join(this.dir, OFFSET_FILE);
      // Opened once and rewritten in place: one write per save.
      this.offsetFd ??= openSync(file, existsSync(file) ? 'r+' : 'w');
      writeSync(this.offsetFd, encodeOffset(this.pos), 0);
      this.saved = this.pos;
    } catch (error) {
      // Not saved: those records are delivered again after a restart (never lost); tried again on the next call.
      this.report(problem('VS1007', this.origin, { file: path.join(this.dir, OFFSET_FILE), detail: `the spool read offset cannot be saved: ${(error as Error).message}` }));
      return;
    }
    for (const s of [...this.ends.keys()]) {
      if (s >= this.saved.segment) continue;
      if (s === this.fdSegment && this.fd !== undefined) {
        closeSync(this.fd);
        this.fd = undefined;
        this.fdSegment = -1;
      }
      try {
        unlinkSync(path.join(this.dir, segmentName(s)));
      } catch {
        // Already gone, or deleted at the next start (recovery removes segments before the offset).
      }
      this.ends.delete(s);
    }
  }

  /** Saves the position and closes the open segment. */
  close(): void {
    if (this.closed) return;
    this.save();
    this.closed = true;
    if (this.offsetFd !== undefined) closeSync(this.offsetFd);
    this.offsetFd = undefined;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.fdSegment = -1;
  }
}
