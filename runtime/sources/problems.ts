/**
 * What goes wrong while reading inputs or delivering alerts at run time: one stable code per kind
 * of problem (VS1xxx sources, VS2xxx actions). Problems are values the agent logs or reports;
 * their text lives only here, and none ever contains a secret or a whole event.
 */

/** One entry of the problem catalog. */
export interface ProblemInfo {
  readonly slug: string;
  /** Message template with `{arg}` placeholders: lowercase start, no final period, names in backticks. */
  readonly message: string;
}

/** The runtime problem catalog. Codes never change meaning. */
export const PROBLEMS = {
  VS1001: { slug: 'malformed-json-line', message: 'line {line} is not valid JSON ({detail}); skipped' },
  VS1002: { slug: 'not-an-object', message: 'line {line} is not a JSON object; skipped' },
  VS1003: { slug: 'ragged-row', message: 'line {line} has {actual} fields, {expected} expected; skipped' },
  VS1004: { slug: 'malformed-row', message: 'line {line} cannot be parsed ({detail}); skipped' },
  VS1005: { slug: 'bad-value', message: 'line {line}: field `{field}` is not a valid {type}; kept as text' },
  VS1006: { slug: 'line-too-long', message: 'line {line} is longer than {limit} bytes; skipped' },
  VS1007: { slug: 'file-unreadable', message: 'file `{file}` cannot be read ({detail})' },
  VS1008: { slug: 'truncated', message: 'file `{file}` shrank below the read offset; reading it again from the start' },
  VS1009: { slug: 'cloud-request-failed', message: '{what} for tenant `{tenant}` failed: {detail}' },
  VS1010: { slug: 'receiver-rejected', message: 'receiver answered {status} to {peer}: {detail}' },
  VS1011: { slug: 'source-not-started', message: 'source `{source}` cannot start: {detail}' },
  VS1012: { slug: 'spool-damaged', message: 'receiver spool `{file}` is damaged: {detail}' },
  VS1013: { slug: 'event-kept-as-text', message: 'event {index} of a request cannot be decoded ({detail}); kept as its envelope text in `message`' },
  VS1014: { slug: 'header-split-plainly', message: 'line {line}, the header, cannot be parsed ({detail}); its column names were split at each delimiter' },
  VS2001: { slug: 'delivery-failed', message: 'action `{action}` failed to deliver alert {id} (attempt {attempt}): {detail}' },
  VS2002: { slug: 'outbox-full', message: 'outbox is full ({limit} alerts); the oldest alert for `{action}` was dropped' },
  VS2003: { slug: 'action-misconfigured', message: 'action `{action}` cannot run: {detail}' },
  VS2004: { slug: 'outbox-unavailable', message: 'the alert outbox cannot be read or written ({detail}); trying again' },
} as const satisfies Record<string, ProblemInfo>;

/** Every problem code. */
export type ProblemCode = keyof typeof PROBLEMS;

/** One problem: its code, rendered message and where it happened. */
export interface Problem {
  readonly code: ProblemCode;
  readonly message: string;
  /** The LogSource, receiver or Action concerned. */
  readonly origin: string;
  readonly file?: string;
  readonly line?: number;
}

/** Receives problems as they happen. */
export type ProblemSink = (problem: Problem) => void;

/** Builds a problem from the catalog, filling `{arg}` placeholders. */
export function problem(code: ProblemCode, origin: string, args: Readonly<Record<string, string | number>> = {}): Problem {
  const text = PROBLEMS[code].message.replace(/\{([A-Za-z]+)\}/g, (whole, key: string) => (key in args ? String(args[key]) : whole));
  const out: { -readonly [K in keyof Problem]: Problem[K] } = { code, message: text, origin };
  if (typeof args.file === 'string') out.file = args.file;
  if (typeof args.line === 'number') out.line = args.line;
  return out;
}

/** A problem sink that drops everything (for callers that do not care). */
export const ignoreProblems: ProblemSink = () => undefined;
