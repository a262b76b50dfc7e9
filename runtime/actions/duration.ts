/** Policy durations (`500ms`, `30s`, `5m`, `24h`, `7d`) for actions and sources. */

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration, or `fallback` when it is absent or malformed. */
export function durationMs(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const m = /^(\d{1,9})(ms|s|m|h|d)$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]!]! : fallback;
}
