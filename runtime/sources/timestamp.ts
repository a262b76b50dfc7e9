/**
 * Reads log timestamps: `iso8601`, `epoch` (seconds), `epoch-ms`, or a pattern built from
 * `yyyy yy MM M dd d HH H mm ss SSS` and literal text (`yyyy/MM/dd HH:mm:ss`). Times written
 * without an offset are read in the given IANA time zone (UTC by default).
 */
import { MAX_DATE_MS } from '../engine/field-access.js';

/** Turns timestamp text (or a number) into epoch milliseconds; NaN when it does not parse. */
export type TimestampReader = (value: unknown) => number;

interface Token {
  readonly key: 'y' | 'yy' | 'M' | 'd' | 'H' | 'm' | 's' | 'S';
  readonly digits: string;
}

const TOKENS: ReadonlyArray<readonly [string, Token]> = [
  ['yyyy', { key: 'y', digits: '(\\d{4})' }],
  ['yy', { key: 'yy', digits: '(\\d{2})' }],
  ['MM', { key: 'M', digits: '(\\d{2})' }],
  ['M', { key: 'M', digits: '(\\d{1,2})' }],
  ['dd', { key: 'd', digits: '(\\d{2})' }],
  ['d', { key: 'd', digits: '(\\d{1,2})' }],
  ['HH', { key: 'H', digits: '(\\d{2})' }],
  ['H', { key: 'H', digits: '(\\d{1,2})' }],
  ['mm', { key: 'm', digits: '(\\d{2})' }],
  ['ss', { key: 's', digits: '(\\d{2})' }],
  ['SSS', { key: 'S', digits: '(\\d{1,9})' }],
];

/** A pattern that is not understood. */
export class TimestampFormatError extends Error {}

function compilePattern(pattern: string): { re: RegExp; keys: Token['key'][] } {
  let src = '';
  const keys: Token['key'][] = [];
  let i = 0;
  outer: while (i < pattern.length) {
    for (const [text, token] of TOKENS) {
      if (pattern.startsWith(text, i)) {
        src += token.digits;
        keys.push(token.key);
        i += text.length;
        continue outer;
      }
    }
    const c = pattern[i]!;
    if (/[A-Za-z]/.test(c)) throw new TimestampFormatError(`unknown letter \`${c}\` in time format \`${pattern}\``);
    src += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    i++;
  }
  // Optional trailing offset, so `... HH:mm:ssZ` or `+02:00` written by the sender wins over the zone.
  // Matched against trimmed text, with at most one space before the offset: runs of `\\s*` around
  // an optional group would backtrack quadratically on a field of spaces.
  return { re: new RegExp(`^${src} ?(Z|[+-]\\d{2}:?\\d{2})?$`), keys };
}

const offsetCache = new Map<string, Intl.DateTimeFormat>();

/** Milliseconds the zone is ahead of UTC at the given UTC instant. */
function zoneOffsetMs(zone: string, utcMs: number): number {
  let fmt = offsetCache.get(zone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    offsetCache.set(zone, fmt);
  }
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** `ms` when a Date can hold it, else NaN (beyond ±MAX_DATE_MS, `new Date(ms).toISOString()` throws). */
function inDateRange(ms: number): number {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? ms : NaN;
}

/** Converts a wall-clock time in `zone` to epoch milliseconds (two passes settle DST edges); NaN when no Date holds it. */
export function wallTimeToUtc(wallMs: number, zone: string): number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return inDateRange(wallMs);
  // The zone's offset is looked up through a Date: a wall time at the edge of the range has none.
  if (Number.isNaN(inDateRange(wallMs))) return NaN;
  const first = inDateRange(wallMs - zoneOffsetMs(zone, wallMs));
  return Number.isNaN(first) ? NaN : inDateRange(wallMs - zoneOffsetMs(zone, first));
}

/** Days in a month (1–12) of a year, leap years included. */
function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Epoch milliseconds of calendar fields, or NaN when they name no real time: no month 13, no
 * February 30 (Date.UTC would roll it over into March), no hour 24. Second 60 (a leap second) is
 * kept as the next second, as Date.UTC counts it. Years below 100 are years, not 1900 + them.
 */
function utcFields(y: number, M: number, d: number, H: number, m: number, s: number, S: number): number {
  if (M < 1 || M > 12 || d < 1 || d > daysInMonth(y, M) || H > 23 || m > 59 || s > 60) return NaN;
  const date = new Date(0);
  date.setUTCFullYear(y, M - 1, d);
  date.setUTCHours(H, m, s, S);
  return date.getTime();
}

/**
 * ISO 8601 as logs write it: a date, then optionally `T` (or a space), hours and minutes, seconds
 * and a fraction, and an offset. Strict, unlike Date.parse, which also reads `1` as 2001-01-01
 * and `May 1` as a date in 2001.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)? ?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

function offsetMs(text: string): number {
  if (text === 'Z' || text === 'z') return 0;
  const sign = text[0] === '-' ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

/** Builds a reader for one format and time zone. */
export function timestampReader(format = 'iso8601', timezone = 'UTC'): TimestampReader {
  // Validates the zone once, so a bad policy fails at load time and not per event.
  if (timezone !== 'UTC') zoneOffsetMs(timezone, 0);
  if (format === 'epoch' || format === 'epoch-ms') {
    const scale = format === 'epoch' ? 1000 : 1;
    return (v) => {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      // Beyond MAX_DATE_MS no Date holds the time (toISOString would throw): not a time.
      return inDateRange(n * scale);
    };
  }
  if (format === 'iso8601') {
    return (v) => {
      if (typeof v !== 'string') return NaN;
      // Trimmed, like patterns (see compilePattern).
      const m = ISO.exec(v.trim());
      if (!m) return NaN;
      const fraction = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
      const wall = utcFields(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), fraction);
      if (Number.isNaN(wall)) return NaN;
      return m[8] !== undefined ? inDateRange(wall - offsetMs(m[8])) : wallTimeToUtc(wall, timezone);
    };
  }
  const { re, keys } = compilePattern(format);
  return (v) => {
    if (typeof v !== 'string') return NaN;
    const m = re.exec(v.trim());
    if (!m) return NaN;
    const f: Record<string, number> = { y: 1970, M: 1, d: 1, H: 0, m: 0, s: 0, S: 0 };
    keys.forEach((k, i) => {
      const text = m[i + 1]!;
      if (k === 'yy') f.y = 2000 + Number(text);
      else if (k === 'S') f.S = Number(text.slice(0, 3).padEnd(3, '0'));
      else f[k] = Number(text);
    });
    const wall = utcFields(f.y!, f.M!, f.d!, f.H!, f.m!, f.s!, f.S!);
    if (Number.isNaN(wall)) return NaN;
    const zone = m[keys.length + 1];
    return zone ? inDateRange(wall - offsetMs(zone)) : wallTimeToUtc(wall, timezone);
  };
}
