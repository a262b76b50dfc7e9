import { describe, expect, it } from 'vitest';
import { timestampReader, TimestampFormatError, wallTimeToUtc } from '../../../runtime/sources/timestamp.js';

describe('timestampReader', () => {
  it('reads patterns in UTC and in an IANA zone (DST included)', () => {
    expect(new Date(timestampReader('yyyy/MM/dd HH:mm:ss')('2024/03/05 07:08:09')).toISOString()).toBe('2024-03-05T07:08:09.000Z');
    // Amsterdam is UTC+1 in winter and UTC+2 in summer.
    expect(new Date(timestampReader('MM/dd/yy HH:mm:ss', 'Europe/Amsterdam')('01/15/24 10:00:00')).toISOString()).toBe('2024-01-15T09:00:00.000Z');
    expect(new Date(timestampReader('MM/dd/yy HH:mm:ss', 'Europe/Amsterdam')('07/15/24 10:00:00')).toISOString()).toBe('2024-07-15T08:00:00.000Z');
  });

  it('lets an offset written in the text win over the zone', () => {
    expect(new Date(timestampReader('yyyy-MM-dd HH:mm:ss', 'Europe/Amsterdam')('2024-07-15 10:00:00+00:00')).toISOString()).toBe('2024-07-15T10:00:00.000Z');
  });

  it('reads epoch seconds, epoch milliseconds and ISO 8601', () => {
    expect(timestampReader('epoch')('1700000000')).toBe(1_700_000_000_000);
    expect(timestampReader('epoch-ms')(1_700_000_000_123)).toBe(1_700_000_000_123);
    expect(timestampReader('iso8601')('2024-01-01T00:00:00Z')).toBe(Date.UTC(2024, 0, 1));
    expect(timestampReader('iso8601', 'Europe/Amsterdam')('2024-01-01 01:00:00')).toBe(Date.UTC(2024, 0, 1));
  });

  it('gives NaN for text that does not fit, and refuses unknown pattern letters and zones', () => {
    expect(timestampReader('yyyy/MM/dd')('yesterday')).toBeNaN();
    expect(timestampReader('yyyy/MM/dd')('2024/13/01')).toBeNaN();
    expect(timestampReader('epoch')('')).toBeNaN();
    // A number no Date can hold is not a time (it would make toISOString throw downstream).
    expect(timestampReader('epoch')('1e300')).toBeNaN();
    expect(timestampReader('epoch-ms')(-8.64e15 - 1)).toBeNaN();
    expect(timestampReader('epoch-ms')(8.64e15)).toBe(8.64e15);
    expect(() => timestampReader('yyyy-QQ')).toThrow(TimestampFormatError);
    expect(() => timestampReader('iso8601', 'Mars/Olympus')).toThrow(RangeError);
  });

  it('reads ISO 8601 strictly: no lenient guesses, no days rolled into the next month', () => {
    const iso = timestampReader('iso8601');
    expect(iso('2024-02-29T10:00:00Z')).toBe(Date.UTC(2024, 1, 29, 10));
    expect(iso('2024-01-01T00:00:00.5+01:00')).toBe(Date.UTC(2023, 11, 31, 23, 0, 0, 500));
    expect(iso('2024-01-01 00:00:00 -0230')).toBe(Date.UTC(2024, 0, 1, 2, 30));
    expect(iso('2024-05-01')).toBe(Date.UTC(2024, 4, 1));
    // Date.parse reads the first two as 2001-01-01 and 2001-05-01, and rolls the others over.
    for (const text of ['1', 'May 1', '2024-02-31T10:00:00', '2023-02-29', '2024-04-31T23:59:59Z', '2024-01-01T24:00:00Z', '+275760-09-13T00:00:00']) {
      expect(iso(text), text).toBeNaN();
    }
    expect(timestampReader('yyyy/MM/dd HH:mm:ss')('2024/04/31 23:59:59')).toBeNaN();
    expect(timestampReader('yyyy/MM/dd HH:mm:ss')('2024/02/29 23:59:59')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
  });

  it('gives NaN, never a throw, for wall times at the edge of what a Date holds', () => {
    expect(wallTimeToUtc(8.64e15, 'Europe/Amsterdam')).toBeNaN();
    expect(wallTimeToUtc(-8.64e15, 'America/New_York')).toBeNaN();
    expect(wallTimeToUtc(8.64e15 + 1, 'UTC')).toBeNaN();
    expect(timestampReader('yyyy-MM-dd HH:mm:ss', 'Pacific/Kiritimati')('9999-12-31 23:59:59')).toBe(Date.UTC(9999, 11, 31, 9, 59, 59));
  });

  it('reads a field of spaces in linear time (patterns and ISO match trimmed text)', () => {
    const spaces = ' '.repeat(200_000);
    expect(timestampReader('yyyy-MM-dd HH:mm:ss')(`2024-01-02 03:04:05${spaces}x`)).toBeNaN();
    expect(timestampReader('iso8601', 'Europe/Amsterdam')(`2024-01-02 03:04:05${spaces}x`)).toBeNaN();
    expect(timestampReader('yyyy-MM-dd HH:mm:ss')(`  2024-01-02 03:04:05 +01:00  `)).toBe(Date.UTC(2024, 0, 2, 2, 4, 5));
  });
});
