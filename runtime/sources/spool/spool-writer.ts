/**
 * Appends records to the receiver spool (spool-format.ts), one `writev` per call (the receiver
 * thread writes the requests of one event-loop turn together). A record whose
 * write returned is in the operating system's page cache: it survives the agent process being
 * killed (SIGKILL, a crash, a restart), which is what the receiver's 200 promises; it is not
 * fsync'ed per request (a power loss may drop the last records written, and spool-recover.ts then
 * cuts the torn tail off instead of reading it). A full segment is fsync'ed in the background
 * (the thread pool) when the next one starts, and the last one when the writer closes.
 */
import { close, closeSync, mkdirSync, fdatasync, fdatasyncSync, ftruncateSync, openSync, writevSync } from 'node:fs';
import path from 'node:path';
import { encodeHeader, segmentName, type RecordKind, type SpoolPosition } from './spool-format.js';

/** A segment is closed and the next one started once it holds this many bytes. */
export const SEGMENT_BYTES = 32 << 20;

/** The writing end of a spool directory; only one may be open on a directory at a time. */
export class SpoolWriter {
  private fd: number | undefined;
  private size = 0;

  /** `segment` is the number of the first segment to create (after every existing one). */
  constructor(private readonly dir: string, private segment: number, private readonly segmentBytes = SEGMENT_BYTES) {
    mkdirSync(dir, { recursive: true });
  }

  /** Appends one record; returns where the segment now ends. Throws when the write fails, leaving the segment as it was. */
  append(kind: RecordKind, key: Buffer, count: number, payload: Uint8Array): SpoolPosition {
    return this.appendAll([{ kind, key, count, payload }]);
  }

  /** Appends records with one `writev`; returns where the segment now ends. Throws when the write fails, leaving the segment as it was (none of them written). */
  appendAll(records: readonly { readonly kind: RecordKind; readonly key: Buffer; readonly count: number; readonly payload: Uint8Array }[]): SpoolPosition {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (const r of records) {
      const header = encodeHeader(r.kind, r.key, r.count, r.payload);
      chunks.push(header, r.payload);
      total += header.length + r.payload.length;
    }
    if (this.fd !== undefined && this.size > 0 && this.size + total > this.segmentBytes) this.rotate();
    // Created on the first record, so a receiver that never accepts anything leaves no empty file.
    this.fd ??= openSync(path.join(this.dir, segmentName(this.segment)), 'a');
    try {
      const written = writevSync(this.fd, chunks);
      if (written !== total) throw new Error(`short write to the spool (${written} of ${total} bytes)`);
    } catch (error) {
      this.undo();
      throw error;
    }
    this.size += total;
    return { segment: this.segment, offset: this.size };
  }

  /** Cuts a partly written record off; when even that fails, later records go to a new segment (recovery cuts the damaged tail off). */
  private undo(): void {
    try {
      ftruncateSync(this.fd!, this.size);
    } catch {
      this.rotate();
    }
  }

  private rotate(): void {
    const fd = this.fd;
    this.fd = undefined;
    this.segment++;
    this.size = 0;
    // Synced off this thread: durability against a process crash does not need it, only a power loss does.
    if (fd !== undefined) fdatasync(fd, () => close(fd, () => undefined));
  }

  /** Syncs and closes the current segment. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fdatasyncSync(fd);
    } catch {
      // Durability against a process crash does not need it; a power loss is the only cost.
    }
    closeSync(fd);
  }
}
