/**
 * The receiver spool's on-disk form: append-only segment files `seg-<n>.log` (n increasing) in
 * `<state dir>/hec-spool/`, each a sequence of records, plus `read-offset`, how far the evaluating
 * thread has processed (segment and byte offset). A record is a 20-byte header, the routing key and
 * the payload (a request body as posted, or a JSON array of events):
 *
 *   0 u32 magic "VHS1" | 4 u32 payload bytes | 8 u32 events | 12 u32 CRC-32 | 16 u8 kind | 17 u8 key bytes | 18 u16 zero
 *
 * The CRC covers bytes 4-11 and 16-19 of the header, the key and the payload, so a torn or
 * damaged record (a power loss in the middle of a write, a bad disk) is recognised and never
 * read as events.
 */
import { crc32 } from 'node:zlib';

/** Bytes of a record header. */
export const HEADER_BYTES = 20;
const MAGIC = 0x31534856;

/** How a record's payload is turned back into events: `b` a request body revived by its key, `j` a JSON array of the events of LogSource `key`. */
export type RecordKind = 'b' | 'j';

/** One record as read back. */
export interface SpoolRecord {
  readonly kind: RecordKind;
  readonly key: string;
  readonly count: number;
  readonly payload: Buffer;
}

/** The outcome of reading at an offset: a whole record, too few bytes for one yet, or damage. */
export type ReadResult = { readonly record: SpoolRecord; readonly next: number } | 'short' | 'bad';

/** CRC-32 table (the polynomial zlib uses), for the 8 header bytes a record's CRC starts with. */
const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c;
}

/** zlib's `crc32` of bytes 4-11 of the header at `at`, computed here: no view and no native call for 8 bytes. */
function headerCrc(buf: Uint8Array, at: number): number {
  let c = -1;
  for (let i = at + 4; i < at + 12; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC of a record: header bytes 4-11, then bytes 16-19, key and payload, which lie together after the header. */
function checksum(buf: Uint8Array, at: number, keyAndPayload: Uint8Array, payload?: Uint8Array): number {
  const c = crc32(keyAndPayload, headerCrc(buf, at));
  return payload ? crc32(payload, c) : c;
}

/** The header and key bytes that go before `payload` in the file. */
export function encodeHeader(kind: RecordKind, key: Buffer, count: number, payload: Uint8Array): Buffer {
  if (key.length > 255) throw new Error('spool keys are at most 255 bytes');
  const h = Buffer.allocUnsafe(HEADER_BYTES + key.length);
  h.writeUInt32LE(MAGIC, 0);
  h.writeUInt32LE(payload.length, 4);
  h.writeUInt32LE(count, 8);
  h[16] = kind.charCodeAt(0);
  h[17] = key.length;
  h.writeUInt16LE(0, 18);
  key.copy(h, HEADER_BYTES);
  h.writeUInt32LE(checksum(h, 0, h.subarray(16), payload), 12);
  return h;
}

/** Bytes the record starting at `at` takes, once its header is in `buf` (undefined before that). */
export function recordLength(buf: Buffer, at: number, end = buf.length): number | undefined {
  if (end - at < HEADER_BYTES) return undefined;
  return HEADER_BYTES + buf[at + 17]! + buf.readUInt32LE(at + 4);
}

/** The last key read and its text: records of one receiver share a handful of keys, so most are not decoded again. */
let lastKey: Buffer = Buffer.alloc(0);
let lastKeyText = '';

function keyText(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n === lastKey.length) {
    let same = true;
    for (let k = 0; k < n; k++) {
      if (buf[start + k] !== lastKey[k]) {
        same = false;
        break;
      }
    }
    if (same) return lastKeyText;
  }
  lastKey = Buffer.from(buf.subarray(start, end));
  lastKeyText = lastKey.toString('utf8');
  return lastKeyText;
}

/** Reads the record at `at` from `buf[..end]`, checking its magic, kind and (unless `verify` is false) checksum. */
export function readRecord(buf: Buffer, at: number, end = buf.length, verify = true): ReadResult {
  if (end - at < HEADER_BYTES) return 'short';
  if (buf.readUInt32LE(at) !== MAGIC) return 'bad';
  const kind = buf[at + 16];
  if ((kind !== 98 && kind !== 106) || buf[at + 18] !== 0 || buf[at + 19] !== 0) return 'bad';
  const total = recordLength(buf, at, end)!;
  if (end - at < total) return 'short';
  const keyStart = at + HEADER_BYTES;
  const payloadStart = keyStart + buf[at + 17]!;
  // One CRC over the header's second part, the key and the payload: they are adjacent.
  if (verify && checksum(buf, at, buf.subarray(at + 16, at + total)) !== buf.readUInt32LE(at + 12)) return 'bad';
  return { record: { kind: kind === 98 ? 'b' : 'j', key: keyText(buf, keyStart, payloadStart), count: buf.readUInt32LE(at + 8), payload: buf.subarray(payloadStart, at + total) }, next: at + total };
}

/** A position in the spool: a segment number and a byte offset in it. */
export interface SpoolPosition {
  readonly segment: number;
  readonly offset: number;
}

/** File name of segment `n` (zero-padded, so names sort as numbers). */
export function segmentName(n: number): string {
  return `seg-${String(n).padStart(12, '0')}.log`;
}

/** Segment number of a file name, or undefined for other files. */
export function segmentNumber(name: string): number | undefined {
  const m = /^seg-(\d{12})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Name of the file holding the read offset. */
export const OFFSET_FILE = 'read-offset';

/** The read offset's text: the position and a checksum of it (a damaged file is recognised), always 42 bytes, so it is rewritten in place. */
export function encodeOffset(p: SpoolPosition): string {
  const text = `${String(p.segment).padStart(12, '0')} ${String(p.offset).padStart(16, '0')}`;
  return `${text} ${String(crc32(text)).padStart(10, '0')}\n`;
}

/** Parses the read offset's text; undefined when it is damaged. */
export function decodeOffset(text: string): SpoolPosition | undefined {
  const m = /^(\d+) (\d+) (\d+)\n$/.exec(text);
  if (!m || crc32(`${m[1]} ${m[2]}`) !== Number(m[3])) return undefined;
  return { segment: Number(m[1]), offset: Number(m[2]) };
}
