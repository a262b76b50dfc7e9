import { describe, expect, it } from 'vitest';
import { timestampReader, TimestampFormatError } from '../../../runtime/sources/timestamp.js';

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
});
