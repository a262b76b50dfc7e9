/**
 * The alert an action delivers: the JSON object `vigil agent` prints (`{"type", "rule", "title",
 * "level", "event", "host", …}`), optionally with the matched event. Actions treat it as data and
 * read only the few fields they need.
 */

/** One alert as JSON data. */
export interface AlertRecord {
  readonly rule: string;
  readonly title?: string;
  readonly level?: string;
  readonly host?: string;
  /** The matched event, when the agent attaches it (file actions keep it for signed evidence). */
  readonly matched?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/** Delivers one alert; resolves when the receiving side has it, rejects otherwise. */
export type Deliver = (alert: AlertRecord, signal?: AbortSignal) => Promise<void>;

const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;

/** Rank of a Sigma level (informational 0 … critical 4); unknown levels rank lowest. */
export function levelRank(level: string | undefined): number {
  return Math.max(0, LEVELS.indexOf((level ?? 'informational') as (typeof LEVELS)[number]));
}
