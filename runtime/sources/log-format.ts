/**
 * A LogFormat made ready to run: the parser settings for its type and the function that turns
 * one row of text fields into an event with typed columns and an `@timestamp` (ISO 8601, UTC)
 * read from the format's timestamp field. A value that does not fit its column type is reported
 * and kept as text, so no data is lost to a typo in a sender's output.
 */
import ipaddr from 'ipaddr.js';
import type { LogColumn, LogFormatSpec } from '../../schema/generated/log-format.js';
import { problem, type Problem } from './problems.js';
import { timestampReader, type TimestampReader } from './timestamp.js';

/** An event: a flat or nested JSON object. */
export type SourceEvent = Record<string, unknown>;

/** A LogFormat ready to parse input. */
export interface CompiledFormat {
  readonly type: LogFormatSpec['type'];
  readonly delimiter: string;
  readonly quote: string;
  readonly header: boolean;
  readonly commentPrefix: string | undefined;
  readonly skipLines: number;
  /** Declared columns, or undefined when they come from a header or a `#Fields:` directive. */
  readonly columns: readonly LogColumn[] | undefined;
  /** Builds an event from a row's fields and column names (typed, timestamped). */
  toEvent(fields: readonly string[], names: readonly LogColumn[], line: number, origin: string, problems: Problem[]): SourceEvent;
  /** Adds `@timestamp` to an event that arrived as JSON. */
  stamp(event: SourceEvent): SourceEvent;
}

const DEFAULT_DELIMITER: Record<LogFormatSpec['type'], string> = { csv: ',', tsv: '\t', w3c: ' ', dhcp: ',', jsonl: '', syslog: '' };

function convert(text: string, column: LogColumn, reader: TimestampReader | undefined): { ok: boolean; value: unknown } {
  switch (column.type ?? 'string') {
    case 'int': {
      const n = /^[+-]?\d+$/.test(text.trim()) ? Number(text) : NaN;
      return Number.isSafeInteger(n) ? { ok: true, value: n } : { ok: false, value: text };
    }
    case 'float': {
      const n = text.trim() === '' ? NaN : Number(text);
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, value: text };
    }
    case 'bool': {
      const t = text.trim().toLowerCase();
      if (['true', '1', 'yes', 'y'].includes(t)) return { ok: true, value: true };
      if (['false', '0', 'no', 'n'].includes(t)) return { ok: true, value: false };
      return { ok: false, value: text };
    }
    case 'ip':
      return ipaddr.isValid(text.trim()) ? { ok: true, value: ipaddr.process(text.trim()).toString() } : { ok: false, value: text };
    case 'timestamp': {
      const ms = reader ? reader(text) : NaN;
      return Number.isNaN(ms) ? { ok: false, value: text } : { ok: true, value: new Date(ms).toISOString() };
    }
    default:
      return { ok: true, value: text };
  }
}

/** Reads `#Fields: a b c` (W3C extended log directive) into column definitions, typed by the format's columns of the same name. */
export function w3cColumns(directive: string, declared: readonly LogColumn[] | undefined): LogColumn[] {
  const byName = new Map((declared ?? []).map((c) => [c.name, c]));
  return directive.replace(/^#Fields:\s*/i, '').trim().split(/\s+/).filter(Boolean).map((n) => byName.get(n) ?? { name: n });
}

/** Reads the ISO text a `timestamp` column was converted to. */
const readIsoUtc = timestampReader('iso8601');

/** Compiles a LogFormat spec; throws on a bad time format or zone (a policy error, caught at load). */
export function compileFormat(spec: LogFormatSpec): CompiledFormat {
  const ts = spec.timestamp;
  const readTime = ts ? timestampReader(ts.format ?? 'iso8601', ts.timezone ?? 'UTC') : undefined;
  const readers = new Map<string, TimestampReader>();
  for (const c of spec.columns ?? []) if (c.type === 'timestamp') readers.set(c.name, timestampReader(c.format ?? 'iso8601', ts?.timezone ?? 'UTC'));
  // DHCP and W3C logs split the time over a date and a time column: read them together.
  const timeColumn = spec.type === 'dhcp' ? 'Time' : spec.type === 'w3c' ? 'time' : undefined;
  const dateFormat = ts?.format ?? (spec.type === 'dhcp' ? 'MM/dd/yy' : 'yyyy-MM-dd');
  const readDateTime = timeColumn ? timestampReader(`${dateFormat} HH:mm:ss`, ts?.timezone ?? 'UTC') : undefined;
  const empty = spec.type === 'w3c' ? '-' : undefined;

  function eventTime(event: SourceEvent): number {
    if (!ts) return NaN;
    const v = event[ts.field];
    if (readDateTime && timeColumn && typeof v === 'string' && typeof event[timeColumn] === 'string') {
      const t = readDateTime(`${v} ${String(event[timeColumn])}`);
      if (!Number.isNaN(t)) return t;
    }
    const t = readTime!(v);
    // A column already typed as timestamp holds ISO text (toISOString's, in UTC).
    return Number.isNaN(t) ? readIsoUtc(v) : t;
  }

  return {
    type: spec.type,
    delimiter: spec.delimiter ?? DEFAULT_DELIMITER[spec.type],
    quote: spec.quote ?? '"',
    header: spec.header ?? false,
    commentPrefix: spec.commentPrefix ?? (spec.type === 'w3c' ? '#' : undefined),
    skipLines: spec.skipLines ?? 0,
    columns: spec.columns,
    toEvent(fields, names, line, origin, problems) {
      const event: SourceEvent = {};
      const n = Math.min(fields.length, names.length);
      for (let i = 0; i < n; i++) {
        const column = names[i]!;
        const text = fields[i]!;
        if (text === empty || (text === '' && column.type && column.type !== 'string')) continue;
        const { ok, value } = convert(text, column, readers.get(column.name));
        if (!ok) problems.push(problem('VS1005', origin, { line, field: column.name, type: column.type ?? 'string' }));
        event[column.name] = value;
      }
      const t = eventTime(event);
      if (!Number.isNaN(t)) event['@timestamp'] = new Date(t).toISOString();
      return event;
    },
    stamp(event) {
      const t = eventTime(event);
      if (!Number.isNaN(t)) event['@timestamp'] = new Date(t).toISOString();
      return event;
    },
  };
}
