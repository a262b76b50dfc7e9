/**
 * Opens a receiver spool directory at start: reads the read offset, deletes segments wholly before
 * it, checks every record after it (spool-format.ts) and counts their events. A damaged or torn
 * record (a power loss mid-write, a bad disk) is reported and the segment is cut just before it:
 * the good records before it are kept, nothing after it in that segment is read as events, and
 * recovery never throws for damaged content. A damaged read offset is reported and reading starts
 * again at the oldest segment (events may be delivered twice, never lost).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { problem, type ProblemSink } from '../problems.js';
import { decodeOffset, OFFSET_FILE, readRecord, segmentName, segmentNumber, type SpoolPosition } from './spool-format.js';

/** What a spool holds at start. */
export interface RecoveredSpool {
  /** Where reading resumes. */
  readonly start: SpoolPosition;
  /** Every segment kept, with the end of its last good record, in order. */
  readonly ends: readonly (readonly [segment: number, end: number])[];
  /** Events in records after `start`. */
  readonly queued: number;
  /** The number for the next segment to write (after every existing one). */
  readonly nextSegment: number;
}

/** Segment numbers in `dir`, ascending. */
export function listSegments(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map(segmentNumber).filter((n): n is number => n !== undefined).sort((a, b) => a - b);
}

/** Reads the read offset; undefined when there is none yet. */
function readOffset(dir: string, report: ProblemSink, origin: string): SpoolPosition | undefined {
  const file = path.join(dir, OFFSET_FILE);
  if (!existsSync(file)) return undefined;
  const p = decodeOffset(readFileSync(file, 'utf8'));
  if (!p) report(problem('VS1012', origin, { file, detail: 'the spool read offset is damaged; reading the spool again from its oldest segment' }));
  return p;
}

/** Recovers the spool in `dir` (creating the directory when needed); `origin` names the receiver in problems. */
export function recoverSpool(dir: string, report: ProblemSink, origin = 'http-receiver'): RecoveredSpool {
  mkdirSync(dir, { recursive: true });
  const segments = listSegments(dir);
  const offset = readOffset(dir, report, origin);
  const ends: [number, number][] = [];
  let queued = 0;
  let start: SpoolPosition | undefined;
  for (const n of segments) {
    const file = path.join(dir, segmentName(n));
    if (offset && n < offset.segment) {
      // Processed completely; its deletion was cut short by a stop or a crash.
      unlinkSync(file);
      continue;
    }
    const buf = readFileSync(file);
    let at = offset && n === offset.segment ? offset.offset : 0;
    if (at > buf.length) {
      report(problem('VS1012', origin, { file, detail: `the spool read offset ${at} is past the segment's end ${buf.length}; reading the segment again from its start` }));
      at = 0;
    }
    start ??= { segment: n, offset: at };
    for (;;) {
      const r = readRecord(buf, at);
      if (typeof r === 'object') {
        queued += r.record.count;
        at = r.next;
        continue;
      }
      if (at < buf.length) {
        report(problem('VS1012', origin, { file, detail: `${r === 'short' ? 'torn' : 'damaged'} spool record at byte ${at}; the ${buf.length - at} bytes from there were dropped, the records before it are kept` }));
        truncateSync(file, at);
      }
      break;
    }
    ends.push([n, at]);
  }
  const last = segments[segments.length - 1] ?? offset?.segment ?? 0;
  return { start: start ?? { segment: last + 1, offset: 0 }, ends, queued, nextSegment: last + 1 };
}
