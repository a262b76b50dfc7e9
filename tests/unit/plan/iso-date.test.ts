import { describe, expect, it } from 'vitest';
import { parseIsoDate } from '../../../compiler/history/history.js';

describe('parseIsoDate (vigil history --at)', () => {
  it('reads a date as the end of that UTC day, and instants with offsets', () => {
    expect(parseIsoDate('2026-11-24')).toBe(Date.UTC(2026, 10, 24, 23, 59, 59) / 1000);
    expect(parseIsoDate('2026-11-24T09:30:00Z')).toBe(Date.UTC(2026, 10, 24, 9, 30) / 1000);
    expect(parseIsoDate('2026-11-24T10:30:00+01:00')).toBe(Date.UTC(2026, 10, 24, 9, 30) / 1000);
  });

  it('refuses what is not ISO 8601 or not a real date', () => {
    for (const bad of ['yesterday', '2026-02-30', '24-11-2026', '2026-11-24 09:30', '1700000000', '']) expect(parseIsoDate(bad)).toBeUndefined();
  });
});
