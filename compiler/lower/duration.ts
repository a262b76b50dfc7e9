/** Milliseconds per duration unit of the `duration` schema type (`30s`, `5m`, `1h`, `7d`). */
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a schema duration into milliseconds; NaN when it is not one (validation reports that). */
export function durationMs(text: unknown): number {
  if (typeof text !== 'string') return Number.NaN;
  const m = /^(\d{1,9})([smhd])$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : Number.NaN;
}

/** Formats milliseconds as the largest whole unit (`300000` → `5m`), for messages. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
