/**
 * Request bodies of the Splunk HTTP Event Collector protocol
 * (https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector).
 * `/services/collector/event` takes JSON objects written one after another (no array, optional
 * whitespace between them), each an envelope `{"event": …, "time", "host", "source",
 * "sourcetype", "index", "fields"}`. As in Splunk, the events before a bad one are kept and the
 * answer names the bad one's 0-based index.
 */
import type { CompiledFormat, SourceEvent } from './log-format.js';
import { parseDelimited } from './delimited.js';
import { parseJsonLines } from './jsonl.js';

/** A HEC status: HTTP status and the JSON body Splunk sends. */
export interface HecStatus {
  readonly status: number;
  readonly body: { readonly text: string; readonly code: number; readonly 'invalid-event-number'?: number };
}

/** Splunk's HEC answers, by name. */
export const HEC = {
  success: { status: 200, body: { text: 'Success', code: 0 } },
  tokenRequired: { status: 401, body: { text: 'Token is required', code: 2 } },
  invalidAuthorization: { status: 401, body: { text: 'Invalid authorization', code: 3 } },
  invalidToken: { status: 403, body: { text: 'Invalid token', code: 4 } },
  noData: { status: 400, body: { text: 'No data', code: 5 } },
  incorrectIndex: { status: 400, body: { text: 'Incorrect index', code: 7 } },
  internalError: { status: 500, body: { text: 'Internal server error', code: 8 } },
  busy: { status: 503, body: { text: 'Server is busy', code: 9 } },
  healthy: { status: 200, body: { text: 'HEC is healthy', code: 17 } },
  unhealthy: { status: 503, body: { text: 'HEC is unhealthy, queues are full', code: 18 } },
} as const satisfies Record<string, HecStatus>;

/** Invalid data format (code 6), naming the bad event. */
export function invalidFormat(index: number): HecStatus {
  return { status: 400, body: { text: 'Invalid data format', code: 6, 'invalid-event-number': index } };
}

/** Event field required (12) or blank (13), naming the bad event. */
export function eventError(code: 12 | 13, index: number): HecStatus {
  return { status: 400, body: { text: code === 12 ? 'Event field is required' : 'Event field cannot be blank', code, 'invalid-event-number': index } };
}

/** The events kept from a body, the envelope `source` of each, and the error that stopped it, if any. */
export interface ParsedBody {
  readonly events: SourceEvent[];
  /** Envelope `source` per event (undefined when absent), for routing to a LogSource. */
  readonly sources: (string | undefined)[];
  readonly error?: HecStatus;
}

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** End (exclusive) of the JSON object starting at `start`, or -1 when it never closes. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Turns an envelope's `event` into an event object: objects as they are, strings per the source's format. */
export type EventDecoder = (value: string) => SourceEvent | undefined;

/** The decoder for string events of a source: JSON when it looks like an object, else one delimited row, else `{message}`. */
export function stringDecoder(format: CompiledFormat | undefined, origin: string): EventDecoder {
  // One string event is one row: a header or preamble line belongs to a file, not to an event
  // (with `header: true` every event would be read as a header and arrive as a bare message).
  const row = format && (format.header || format.skipLines > 0) ? { ...format, header: false, skipLines: 0 } : format;
  return (value) => {
    if (!format || format.type === 'jsonl' || format.type === 'syslog') {
      if (value.trimStart().startsWith('{')) {
        const rows = parseJsonLines(value, 1, origin, format).rows;
        if (rows.length === 1) return rows[0]!.event;
      }
      return { message: value };
    }
    const rows = parseDelimited(value, row!, origin, { line: 0 }, true).rows;
    return rows.length > 0 ? rows[0]!.event : { message: value };
  };
}

/** Splits envelopes written one per line with the native parser; undefined when the body is not laid out that way. */
function envelopesByLine(text: string): unknown[] | undefined {
  // One envelope per request is the most common body of all: parsed as it is, without cutting lines.
  if (text.indexOf('\n') < 0) {
    try {
      const v: unknown = JSON.parse(text);
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? [v] : undefined;
    } catch {
      return undefined;
    }
  }
  const out: unknown[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.trim() === '') continue;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
      out.push(v);
    } catch {
      return undefined;
    }
  }
  return out;
}

/** Envelopes one after another, scanned object by object; stops at the first bad one. */
function* envelopesScanned(text: string): Generator<unknown> {
  let i = 0;
  for (;;) {
    while (i < text.length && isWs(text.charCodeAt(i))) i++;
    if (i >= text.length) return;
    if (text.charCodeAt(i) !== 123) return yield BAD;
    const end = objectEnd(text, i);
    if (end < 0) return yield BAD;
    try {
      yield JSON.parse(text.slice(i, end));
    } catch {
      return yield BAD;
    }
    i = end;
  }
}

const BAD = Symbol('bad envelope');

/** True for `{}` (a parsed object has no inherited enumerable keys); no key array per event. */
function isEmptyObject(value: object): boolean {
  for (const _ in value) return false;
  return true;
}

/** Called for an envelope whose event could not be decoded (`detail` names the error, never the content). */
export type Unreadable = (index: number, detail: string) => void;

/**
 * Parses a `/services/collector/event` body; `decode(source)` gives the decoder for string events
 * of that envelope source. An event that passed the receiver's check but cannot be decoded (a
 * value nested too deeply to turn into text, a string event its format's parser rejects) was
 * acknowledged already: it is kept as `{message: <its envelope's text>}` and `unreadable` is told.
 */
export function parseEventBody(text: string, decode: (source: string | undefined) => EventDecoder, stamp: (source: string | undefined, event: SourceEvent) => void, unreadable?: Unreadable): ParsedBody {
  const events: SourceEvent[] = [];
  const sources: (string | undefined)[] = [];
  let index = 0;
  // Most senders write one envelope per line: let the native parser split those; anything else
  // (objects run together, a bad one somewhere) takes the exact scanner.
  for (const parsed of envelopesByLine(text) ?? envelopesScanned(text)) {
    if (parsed === BAD) return { events, sources, error: invalidFormat(index) };
    const envelope = parsed as Record<string, unknown>;
    const value = envelope.event;
    if (value === undefined || value === null) return { events, sources, error: eventError(12, index) };
    if (value === '' || (typeof value === 'object' && !Array.isArray(value) && isEmptyObject(value))) return { events, sources, error: eventError(13, index) };
    const source = typeof envelope.source === 'string' ? envelope.source : undefined;
    let event: SourceEvent | undefined;
    try {
      event = envelopeEvent(envelope, value, source, decode, stamp);
    } catch (error) {
      event = { message: envelopeText(text, index) };
      unreadable?.(index, error instanceof Error ? error.name : 'error');
    }
    if (!event) return { events, sources, error: invalidFormat(index) };
    events.push(event);
    sources.push(source);
    index++;
  }
  if (index === 0) return { events, sources, error: HEC.noData };
  return { events, sources };
}

/** The event of one envelope, with its `fields`, `host` and `time`; undefined when its decoder gives none. */
function envelopeEvent(envelope: Record<string, unknown>, value: unknown, source: string | undefined, decode: (source: string | undefined) => EventDecoder, stamp: (source: string | undefined, event: SourceEvent) => void): SourceEvent | undefined {
  let event: SourceEvent | undefined;
  if (typeof value === 'object' && !Array.isArray(value)) event = value as SourceEvent;
  else if (typeof value === 'string') event = decode(source)(value);
  else event = { message: typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value) };
  if (!event) return undefined;
  const fields = envelope.fields;
  if (typeof fields === 'object' && fields !== null && !Array.isArray(fields)) {
    // Own members only: `in` would also see `constructor` and the other names every object inherits.
    for (const [k, v] of Object.entries(fields)) if (!Object.hasOwn(event, k)) event[k] = v;
  }
  if (typeof envelope.host === 'string' && !Object.hasOwn(event, 'host')) event.host = envelope.host;
  stamp(source, event);
  // HEC `time` is epoch seconds (number or numeric string); the format's own time field wins.
  if (!Object.hasOwn(event, '@timestamp')) {
    const seconds = epochSeconds(envelope.time);
    // A time outside what a Date holds (±8.64e12 s) leaves the event without one: it was
    // acknowledged already, so it must still reach the rules.
    const when = new Date(seconds * 1000);
    if (!Number.isNaN(when.getTime())) event['@timestamp'] = when.toISOString();
  }
  return event;
}

/** HEC `time`: a finite number, or a string holding one; NaN for anything else (`null`, `""`, `false` and `[]` are no time, not 1970). */
function epochSeconds(time: unknown): number {
  if (typeof time === 'number') return time;
  if (typeof time === 'string' && time.trim() !== '') return Number(time);
  return NaN;
}

/** The text of the body's envelope number `index` (each is a whole JSON object, whichever way they were laid out). */
function envelopeText(text: string, index: number): string {
  let i = 0;
  for (let n = 0; ; n++) {
    while (i < text.length && isWs(text.charCodeAt(i))) i++;
    const end = i < text.length && text.charCodeAt(i) === 123 ? objectEnd(text, i) : -1;
    if (end < 0) return '';
    if (n === index) return text.slice(i, end);
    i = end;
  }
}
