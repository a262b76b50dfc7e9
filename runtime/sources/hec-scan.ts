/**
 * Checks a `/services/collector/event` body on the receiver thread without building its events:
 * a strict JSON scanner over the UTF-8 bytes (RFC 8259, https://www.rfc-editor.org/rfc/rfc8259)
 * that accepts exactly what `JSON.parse` accepts (bytes of 0x80 and above only inside strings,
 * where `JSON.parse` of the decoded text takes them too). It also gives the HEC verdict per
 * envelope (`event` missing or null: code 12, `""` or `{}`: code 13), so the thread that evaluates
 * events (hec-body.ts `parseEventBody`) later parses a prefix this scanner accepted whole and gets
 * the same events, and the body is parsed into objects once instead of twice.
 */
import { eventError, HEC, invalidFormat, type HecStatus } from './hec-body.js';

/** What a scanned event body holds: how many good envelopes, where the last one ends, and the error after them, if any. */
export interface ScannedBody {
  readonly count: number;
  /** Byte offset just past the last good envelope (everything before it is safe to store). */
  readonly end: number;
  readonly error?: HecStatus;
}

// Byte values.
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const COLON = 58;
const COMMA = 44;

/** `event` as the five bytes of its quoted key, compared without decoding. */
const EVENT_KEY = Buffer.from('"event"');

/** Class of an envelope's `event` value, as far as HEC cares. */
const enum EventValue {
  Missing,
  Null,
  Blank,
  Ok,
}

/** Thrown (and caught in `scanEventBody`) at the first byte that is not valid JSON. */
class Invalid extends Error {}
const INVALID = new Invalid();

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Bytes that end a run of plain string content: the quote, the backslash and control characters. */
const SPECIAL = new Uint8Array(256);
for (let c = 0; c < 32; c++) SPECIAL[c] = 1;
SPECIAL[QUOTE] = 1;
SPECIAL[BACKSLASH] = 1;

/** End (exclusive) of the string whose opening quote is at `i`. */
function stringEnd(b: Buffer, i: number, n: number): number {
  i++;
  for (;;) {
    // Most of a body is plain string content: one table load per byte.
    while (i < n && SPECIAL[b[i]!] === 0) i++;
    if (i >= n) throw INVALID;
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c < 32) throw INVALID;
    // A backslash: one escape.
    const e = b[i + 1];
    if (e === 117) {
      if (!(isHex(b[i + 2] ?? 0) && isHex(b[i + 3] ?? 0) && isHex(b[i + 4] ?? 0) && isHex(b[i + 5] ?? 0))) throw INVALID;
      i += 6;
    } else if (e === QUOTE || e === BACKSLASH || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) i += 2;
    else throw INVALID;
  }
}

/** End (exclusive) of the number starting at `i`: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
function numberEnd(b: Buffer, i: number, n: number): number {
  if (b[i] === 45) i++;
  if (i >= n) throw INVALID;
  if (b[i] === 48) i++;
  else if (isDigit(b[i]!)) while (i < n && isDigit(b[i]!)) i++;
  else throw INVALID;
  if (b[i] === 46) {
    i++;
    if (!isDigit(b[i] ?? 0)) throw INVALID;
    while (i < n && isDigit(b[i]!)) i++;
  }
  if (b[i] === 101 || b[i] === 69) {
    i++;
    if (b[i] === 43 || b[i] === 45) i++;
    if (!isDigit(b[i] ?? 0)) throw INVALID;
    while (i < n && isDigit(b[i]!)) i++;
  }
  return i;
}

function literalEnd(b: Buffer, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) throw INVALID;
  return i + word.length;
}

function skipWs(b: Buffer, i: number, n: number): number {
  while (i < n && isWs(b[i]!)) i++;
  return i;
}

/** End (exclusive) of the JSON value starting at `i` (no leading whitespace); iterative, so nesting depth costs no stack. */
function valueEnd(b: Buffer, i: number, n: number): number {
  // Open containers, innermost last: true for an object, false for an array.
  const stack: boolean[] = [];
  for (;;) {
    // A value at `i`.
    const c = b[i];
    if (c === QUOTE) i = stringEnd(b, i, n);
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const object = c === OPEN_OBJECT;
      i = skipWs(b, i + 1, n);
      if (b[i] === (object ? CLOSE_OBJECT : CLOSE_ARRAY)) i++;
      else {
        stack.push(object);
        if (object) i = memberValueStart(b, i, n);
        continue;
      }
    } else if (c === 116) i = literalEnd(b, i, 'true');
    else if (c === 102) i = literalEnd(b, i, 'false');
    else if (c === 110) i = literalEnd(b, i, 'null');
    else if (c === 45 || (c !== undefined && isDigit(c))) i = numberEnd(b, i, n);
    else throw INVALID;
    // After a value: close containers or move to the next element.
    for (;;) {
      if (stack.length === 0) return i;
      i = skipWs(b, i, n);
      const object = stack[stack.length - 1]!;
      if (b[i] === COMMA) {
        i = skipWs(b, i + 1, n);
        if (object) i = memberValueStart(b, i, n);
        break;
      }
      if (b[i] !== (object ? CLOSE_OBJECT : CLOSE_ARRAY)) throw INVALID;
      stack.pop();
      i++;
    }
  }
}

/** From a member's key at `i`, the start of its value (past the key, the colon and whitespace). */
function memberValueStart(b: Buffer, i: number, n: number): number {
  if (b[i] !== QUOTE) throw INVALID;
  i = skipWs(b, stringEnd(b, i, n), n);
  if (b[i] !== COLON) throw INVALID;
  return skipWs(b, i + 1, n);
}

/** True when the quoted key at [start, end) means `event` (escapes decoded, as JSON.parse would). */
function isEventKey(b: Buffer, start: number, end: number): boolean {
  if (end - start === EVENT_KEY.length && b.compare(EVENT_KEY, 0, EVENT_KEY.length, start, end) === 0) return true;
  // A key spelled with escapes (`"\u0065vent"`) is rare: decode it exactly.
  const escape = b.indexOf(BACKSLASH, start);
  return escape > -1 && escape < end && JSON.parse(b.toString('utf8', start, end)) === 'event';
}

/** Classifies the value at [start, end) the way HEC does. */
function classify(b: Buffer, start: number, end: number): EventValue {
  const c = b[start];
  if (c === 110) return EventValue.Null;
  if (c === QUOTE) return end - start === 2 ? EventValue.Blank : EventValue.Ok;
  if (c === OPEN_OBJECT) return skipWs(b, start + 1, end) === end - 1 ? EventValue.Blank : EventValue.Ok;
  return EventValue.Ok;
}

/** Scans one envelope (a JSON object) at `i`; returns its end and how its last `event` member looked. */
function envelope(b: Buffer, i: number, n: number): { end: number; event: EventValue } {
  let event = EventValue.Missing;
  i = skipWs(b, i + 1, n);
  if (b[i] === CLOSE_OBJECT) return { end: i + 1, event };
  for (;;) {
    if (b[i] !== QUOTE) throw INVALID;
    const keyEnd = stringEnd(b, i, n);
    const isEvent = isEventKey(b, i, keyEnd);
    i = skipWs(b, keyEnd, n);
    if (b[i] !== COLON) throw INVALID;
    i = skipWs(b, i + 1, n);
    const valueStart = i;
    i = valueEnd(b, i, n);
    // Duplicate keys: JSON.parse keeps the last one, so does this.
    if (isEvent) event = classify(b, valueStart, i);
    i = skipWs(b, i, n);
    if (b[i] === COMMA) {
      i = skipWs(b, i + 1, n);
      continue;
    }
    if (b[i] !== CLOSE_OBJECT) throw INVALID;
    return { end: i + 1, event };
  }
}

/** Scans envelopes written one after another (whitespace between them allowed); stops at the first bad one, as Splunk does. */
export function scanEventBody(body: Buffer): ScannedBody {
  const n = body.length;
  let count = 0;
  let end = 0;
  let i = skipWs(body, 0, n);
  while (i < n) {
    if (body[i] !== OPEN_OBJECT) return { count, end, error: invalidFormat(count) };
    let scanned: { end: number; event: EventValue };
    try {
      scanned = envelope(body, i, n);
    } catch (error) {
      if (error instanceof Invalid) return { count, end, error: invalidFormat(count) };
      throw error;
    }
    if (scanned.event === EventValue.Missing || scanned.event === EventValue.Null) return { count, end, error: eventError(12, count) };
    if (scanned.event === EventValue.Blank) return { count, end, error: eventError(13, count) };
    count++;
    end = scanned.end;
    i = skipWs(body, end, n);
  }
  return count === 0 ? { count, end, error: HEC.noData } : { count, end };
}
