import { describe, expect, it } from 'vitest';
import { toEpochMs } from '../../../runtime/engine/field-access.js';

describe('toEpochMs', () => {
  it('reads epoch seconds, milliseconds and Sysmon-style UTC text', () => {
    expect(toEpochMs(1_700_000_000)).toBe(1_700_000_000_000);
    expect(toEpochMs(1_700_000_000_123)).toBe(1_700_000_000_123);
    expect(toEpochMs('2020-10-21 23:28:14.123')).toBe(Date.UTC(2020, 9, 21, 23, 28, 14, 123));
  });

  it('gives NaN for a number no Date can hold, so nothing downstream formats an invalid date', () => {
    expect(toEpochMs(1e300)).toBeNaN();
    expect(toEpochMs(-9e15)).toBeNaN();
    expect(toEpochMs(8.64e15)).toBe(8.64e15);
  });
});
