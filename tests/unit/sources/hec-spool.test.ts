import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Problem } from '../../../runtime/sources/problems.js';
import { OFFSET_FILE, segmentName, type SpoolRecord } from '../../../runtime/sources/spool/spool-format.js';
import { SpoolReader } from '../../../runtime/sources/spool/spool-reader.js';
import { recoverSpool } from '../../../runtime/sources/spool/spool-recover.js';
import { SpoolWriter } from '../../../runtime/sources/spool/spool-writer.js';
import { tempState } from './hec-helpers.js';

/**
 * The segment spool on its own: what a writer appended is read back in order, the read offset and
 * deleted segments follow what was processed, and damage found at start (a torn tail, a changed
 * byte, a damaged offset file) is reported, keeps every good record before it, and never throws.
 */

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).reverse().forEach((c) => c()));

function spoolDir(): string {
  const state = tempState();
  cleanups.push(state.cleanup);
  return path.join(state.dir, 'hec-spool');
}

const text = (r: SpoolRecord) => r.payload.toString('utf8');

/** Appends records `0..n-1` (payload `<prefix><i>`, one event each) in new segments of `dir`. */
function writeRecords(dir: string, n: number, segmentBytes?: number, prefix = 'p'): void {
  const writer = new SpoolWriter(dir, recoverSpool(dir, () => undefined).nextSegment, segmentBytes);
  for (let i = 0; i < n; i++) writer.append('b', Buffer.from('e|0|fw'), 1, Buffer.from(`${prefix}${i}`));
  writer.close();
}

/** Reads everything after the saved offset, as the next start would. */
function readAll(dir: string, problems: Problem[] = []): { payloads: string[]; reader: SpoolReader; queued: number } {
  const recovered = recoverSpool(dir, (p) => void problems.push(p));
  const reader = new SpoolReader(dir, recovered.start, recovered.ends, (p) => void problems.push(p));
  const payloads: string[] = [];
  for (let got = reader.read(3); got.records.length > 0; got = reader.read(3)) {
    payloads.push(...got.records.map(text));
    reader.done(got.next);
  }
  return { payloads, reader, queued: recovered.queued };
}

describe('receiver spool', () => {
  it('reads back what was appended, in order, across segments, and keys and counts with it', () => {
    const dir = spoolDir();
    const writer = new SpoolWriter(dir, 1, 64);
    writer.append('b', Buffer.from('e|0|fw'), 2, Buffer.from('{"event":1}{"event":2}'));
    writer.append('j', Buffer.from('pan'), 1, Buffer.from('[{"n":3}]'));
    for (let i = 0; i < 6; i++) writer.append('b', Buffer.from('e|0|fw'), 1, Buffer.from(`p${i}`));
    writer.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('seg-')).length).toBeGreaterThan(1);
    const recovered = recoverSpool(dir, () => undefined);
    expect(recovered.queued).toBe(9);
    const reader = new SpoolReader(dir, recovered.start, recovered.ends, () => undefined);
    const first = reader.read(100);
    expect(first.records.slice(0, 2).map((r) => [r.kind, r.key, r.count, text(r)])).toEqual([['b', 'e|0|fw', 2, '{"event":1}{"event":2}'], ['j', 'pan', 1, '[{"n":3}]']]);
    expect(first.records.map(text).slice(2)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
    expect(first.events).toBe(9);
    reader.close();
  });

  it('reading into one shared buffer gives the same records, whole across segments within a read', () => {
    const expected = Array.from({ length: 40 }, (_, i) => `p${i}`);
    // Large reads span segments (a later segment must not overwrite the first one's records); small ones reuse the buffer each time.
    for (const size of [40, 3]) {
      const dir = spoolDir();
      writeRecords(dir, 40, 64);
      const recovered = recoverSpool(dir, () => undefined);
      const reader = new SpoolReader(dir, recovered.start, recovered.ends, () => undefined, { reuse: true });
      const seen: string[] = [];
      for (let got = reader.read(size); got.records.length > 0; got = reader.read(size)) {
        if (size === 40) expect(got.records.length).toBe(40);
        seen.push(...got.records.map(text));
        reader.done(got.next);
      }
      reader.close();
      expect(seen).toEqual(expected);
    }
  });

  it('resumes after the saved offset and deletes segments wholly before it', () => {
    const dir = spoolDir();
    writeRecords(dir, 10, 40);
    const segments = () => readdirSync(dir).filter((f) => f.startsWith('seg-')).length;
    const before = segments();
    const recovered = recoverSpool(dir, () => undefined);
    const reader = new SpoolReader(dir, recovered.start, recovered.ends, () => undefined);
    const got = reader.read(4);
    expect(got.records.map(text)).toEqual(['p0', 'p1', 'p2', 'p3']);
    reader.done(got.next);
    reader.close();
    expect(existsSync(path.join(dir, OFFSET_FILE))).toBe(true);
    expect(segments()).toBeLessThan(before);
    const again = readAll(dir);
    expect(again.queued).toBe(6);
    expect(again.payloads).toEqual(['p4', 'p5', 'p6', 'p7', 'p8', 'p9']);
    again.reader.close();
    // Everything processed: nothing is delivered again.
    expect(readAll(dir).payloads).toEqual([]);
  });

  it('does not save a position before done() is called for it (at least once)', () => {
    const dir = spoolDir();
    writeRecords(dir, 3);
    const first = readAll(dir);
    expect(first.payloads).toEqual(['p0', 'p1', 'p2']);
    // Crash before the offset was saved: no close(), no timer run.
    const second = readAll(dir);
    expect(second.payloads).toEqual(['p0', 'p1', 'p2']);
    first.reader.close();
    second.reader.close();
  });

  it('cuts a torn tail off at start, reports it and keeps the records before it', () => {
    const dir = spoolDir();
    writeRecords(dir, 3);
    const file = path.join(dir, segmentName(1));
    const whole = readFileSync(file);
    writeFileSync(file, whole.subarray(0, whole.length - 2));
    const problems: Problem[] = [];
    const { payloads, reader, queued } = readAll(dir, problems);
    expect(payloads).toEqual(['p0', 'p1']);
    expect(queued).toBe(2);
    expect(problems.map((p) => [p.code, p.message])).toEqual([['VS1012', expect.stringMatching(/torn spool record at byte \d+; the \d+ bytes from there were dropped/)]]);
    reader.close();
    // The cut is permanent: the next start finds nothing wrong, and new records follow the good ones.
    writeRecords(dir, 1, undefined, 'q');
    const next: Problem[] = [];
    expect(readAll(dir, next).payloads).toEqual(['q0']);
    expect(next).toEqual([]);
  });

  it('stops at a damaged record (a changed byte), reports it, and still reads later segments', () => {
    const dir = spoolDir();
    // Records take 28 bytes here: two per segment.
    writeRecords(dir, 4, 60);
    writeRecords(dir, 1, undefined, 'q');
    const file = path.join(dir, segmentName(1));
    const bytes = readFileSync(file);
    bytes[bytes.indexOf('p1') + 1] = 'X'.charCodeAt(0);
    writeFileSync(file, bytes);
    const problems: Problem[] = [];
    const { payloads, reader } = readAll(dir, problems);
    expect(payloads).toEqual(['p0', 'p2', 'p3', 'q0']);
    expect(problems.map((p) => p.code)).toEqual(['VS1012']);
    expect(problems[0]!.message).toMatch(/damaged spool record/);
    reader.close();
  });

  it('checks CRCs when reading unless told not to (the receiver: recovery checked them), but always the framing', () => {
    const dir = spoolDir();
    writeRecords(dir, 2);
    const recovered = recoverSpool(dir, () => undefined);
    // Changed after recovery checked the segment: only a CRC can tell.
    const file = path.join(dir, segmentName(1));
    const bytes = readFileSync(file);
    bytes[bytes.indexOf('p1') + 1] = 'X'.charCodeAt(0);
    writeFileSync(file, bytes);
    const problems: Problem[] = [];
    const checked = new SpoolReader(dir, recovered.start, recovered.ends, (p) => void problems.push(p));
    const first = checked.read(10);
    expect(first.records.map(text)).toEqual(['p0']);
    // The damaged rest of the segment is skipped, not offered again.
    checked.done(first.next);
    expect(checked.read(10).records).toEqual([]);
    expect(problems.map((p) => p.code)).toEqual(['VS1012']);
    const unchecked = new SpoolReader(dir, recovered.start, recovered.ends, (p) => void problems.push(p), { verify: false });
    expect(unchecked.read(10).records.map(text)).toEqual(['p0', 'pX']);
    // A broken frame (the second record's magic) is refused either way.
    bytes[bytes.indexOf('p0') + 2] = bytes[bytes.indexOf('p0') + 2]! ^ 0xff;
    writeFileSync(file, bytes);
    const framed = new SpoolReader(dir, recovered.start, recovered.ends, (p) => void problems.push(p), { verify: false });
    expect(framed.read(10).records.map(text)).toEqual(['p0']);
    expect(problems.map((p) => p.code)).toEqual(['VS1012', 'VS1012']);
  });

  it('reads everything again from the oldest segment when the read offset is damaged', () => {
    const dir = spoolDir();
    writeRecords(dir, 3);
    const first = readAll(dir);
    first.reader.close();
    writeFileSync(path.join(dir, OFFSET_FILE), '1 9999 12\n');
    const problems: Problem[] = [];
    const { payloads, reader } = readAll(dir, problems);
    expect(payloads).toEqual(['p0', 'p1', 'p2']);
    expect(problems.map((p) => p.code)).toEqual(['VS1012']);
    reader.close();
  });

  it('treats garbage where a segment should be as damage, not a crash', () => {
    const dir = spoolDir();
    writeRecords(dir, 1);
    writeFileSync(path.join(dir, segmentName(7)), Buffer.alloc(100, 0));
    const problems: Problem[] = [];
    const { payloads, reader } = readAll(dir, problems);
    expect(payloads).toEqual(['p0']);
    expect(problems.map((p) => p.code)).toEqual(['VS1012']);
    reader.close();
  });
});
