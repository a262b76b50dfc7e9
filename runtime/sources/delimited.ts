/**
 * Delimited logs per LogFormat: CSV, TSV, W3C extended logs (IIS: `#Fields:` directives name the
 * columns, `-` is an empty value) and Windows DHCP server logs (legend lines skipped, date and
 * time columns read together). Records are split by csv-parse; this module only adds what it
 * lacks: line-level recovery, so a broken quote or a ragged row costs that one line (reported)
 * and never the rest of the input, and resumable state for files read a chunk at a time.
 */
import { parse } from 'csv-parse/sync';
import type { LogColumn } from '../../schema/generated/log-format.js';
import type { CompiledFormat, SourceEvent } from './log-format.js';
import { w3cColumns } from './log-format.js';
import { problem, type Problem } from './problems.js';

/** What a reader must remember between chunks of the same file. */
export interface DelimitedState {
  /** Columns from a header line or a `#Fields:` directive. */
  readonly columns?: readonly LogColumn[];
  /** Lines consumed so far (the next line is `line + 1`). */
  readonly line: number;
}

/** One parsed row with its 1-based line number. */
export interface ParsedRow {
  readonly line: number;
  readonly event: SourceEvent;
}

/** The rows of a chunk, its problems, how many characters were consumed and the state after them. */
export interface DelimitedResult {
  readonly rows: ParsedRow[];
  readonly problems: Problem[];
  /** Characters of the input consumed; the rest (an unfinished quoted record) waits for more data. */
  readonly consumed: number;
  readonly state: DelimitedState;
}

/**
 * A held-back unfinished record larger than this, or over more lines, is reported instead of
 * waiting for more data: a stray quote then costs its line, not every line after it until a
 * megabyte more arrived. Quoted values over more lines than this (a long stack trace) are not
 * expected in logs.
 */
const MAX_PENDING_CHARS = 1 << 20;
const MAX_PENDING_LINES = 500;

interface Line {
  readonly start: number;
  readonly end: number;
}

function splitLines(text: string, final: boolean): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      if (final && start < text.length) lines.push({ start, end: text.length });
      return lines;
    }
    lines.push({ start, end: nl + 1 });
    start = nl + 1;
  }
}

function parseOptions(format: CompiledFormat) {
  return { delimiter: format.delimiter, quote: format.quote === '' ? false : format.quote, relax_column_count: true, raw: true, bom: true } as const;
}

/**
 * Splits one header line into column definitions, typed by the declared columns of the same name.
 * A header csv-parse rejects (a stray quote) is split at each delimiter instead, and reported:
 * skipping it would make the first data row the header.
 */
function headerColumns(text: string, format: CompiledFormat, line: number, origin: string, problems: Problem[]): LogColumn[] {
  let names: string[];
  try {
    names = (parse(text, { ...parseOptions(format), raw: false }) as string[][])[0] ?? [];
  } catch (error) {
    problems.push(problem('VS1014', origin, { line, detail: csvErrorDetail(error) }));
    names = text.split(format.delimiter);
  }
  const byName = new Map((format.columns ?? []).map((c) => [c.name, c]));
  return names.map((n) => byName.get(n.trim()) ?? { name: n.trim() });
}

/** csv-parse's error code as words (`CSV_QUOTE_NOT_CLOSED` → `quote not closed`), never the text it quotes. */
function csvErrorDetail(error: unknown): string {
  return ((error as { code?: string }).code ?? 'error').replace(/^CSV_/, '').toLowerCase().replace(/_/g, ' ');
}

/** DHCP data lines start with a numeric event id and the delimiter; legend lines (`00\tThe log was started.`) do not. */
function isDhcpRecord(line: string, delimiter: string): boolean {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
  return i > 0 && line.startsWith(delimiter, i);
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

interface BlockResult {
  readonly records: { line: number; fields: string[] }[];
  /** Characters of the block consumed (less than its length when an unfinished record is held back). */
  readonly consumed: number;
}

/** Parses a run of data lines, restarting after the first line of any record csv-parse rejects. */
function parseBlock(block: string, firstLine: number, format: CompiledFormat, origin: string, problems: Problem[], final: boolean): BlockResult {
  const records: { line: number; fields: string[] }[] = [];
  const options = parseOptions(format);
  let pos = 0;
  let line = firstLine;
  while (pos < block.length) {
    let endLine = line - 1;
    try {
      parse(block.slice(pos), {
        ...options,
        // With `raw: true` csv-parse hands on_record `{record, raw}`, which its typings do not say.
        on_record: ((rec: { record: string[]; raw: string }, ctx: { lines: number }) => {
          endLine = line - 1 + ctx.lines;
          const start = endLine - countNewlines(rec.raw.replace(/\r?\n$/, ''));
          if (!(rec.record.length === 1 && rec.record[0] === '')) records.push({ line: start, fields: rec.record });
          return null;
        }) as unknown as (record: string[]) => null,
      });
      return { records, consumed: block.length };
    } catch (error) {
      const e = error as { code?: string; message: string };
      // Lines of `block` before the failing record were consumed; find where the failing record starts.
      const done = block.slice(pos);
      const consumedLines = endLine - (line - 1);
      let offset = 0;
      for (let i = 0; i < consumedLines; i++) offset = done.indexOf('\n', offset) + 1;
      while (done[offset] === '\n' || (done[offset] === '\r' && done[offset + 1] === '\n')) {
        offset = done.indexOf('\n', offset) + 1;
        endLine++;
      }
      const failStart = pos + offset;
      const failLine = endLine + 1;
      if (e.code === 'CSV_QUOTE_NOT_CLOSED' && !final && block.length - failStart <= MAX_PENDING_CHARS && countNewlines(block.slice(failStart)) <= MAX_PENDING_LINES) {
        return { records, consumed: failStart };
      }
      problems.push(problem('VS1004', origin, { line: failLine, detail: csvErrorDetail(e) }));
      const next = block.indexOf('\n', failStart);
      if (next < 0) return { records, consumed: block.length };
      pos = next + 1;
      line = failLine + 1;
    }
  }
  return { records, consumed: block.length };
}

/**
 * Parses a chunk of a delimited log. `final` says no more data follows (a request body, or a file
 * read to its end without follow): then an unfinished quoted record is reported, not held back.
 */
export function parseDelimited(text: string, format: CompiledFormat, origin: string, state: DelimitedState = { line: 0 }, final = true): DelimitedResult {
  const problems: Problem[] = [];
  const rows: ParsedRow[] = [];
  let columns = state.columns;
  let lineNo = state.line;
  let consumed = 0;
  let blockStart = -1;
  let blockLine = 0;
  let pendingHeld = false;

  const emitRecords = (records: { line: number; fields: string[] }[]) => {
    const names = columns ?? format.columns;
    // Declared columns may describe only the first columns of a wider log (PAN-OS); header ones are exact.
    const exact = columns !== undefined;
    for (const r of records) {
      const expected = names?.length ?? r.fields.length;
      if (r.fields.length < expected || (exact && r.fields.length > expected)) {
        problems.push(problem('VS1003', origin, { line: r.line, actual: r.fields.length, expected }));
        continue;
      }
      const cols = names ?? r.fields.map((_, i) => ({ name: `field${i + 1}` }));
      rows.push({ line: r.line, event: format.toEvent(r.fields, cols, r.line, origin, problems) });
    }
  };
  const flush = (end: number, isLast: boolean): number => {
    if (blockStart < 0) return end;
    const block = text.slice(blockStart, end);
    const result = parseBlock(block, blockLine, format, origin, problems, final || !isLast);
    emitRecords(result.records);
    const stop = blockStart + result.consumed;
    blockStart = -1;
    if (stop < end) pendingHeld = true;
    return stop;
  };

  const lines = splitLines(text, final);
  for (let i = 0; i < lines.length; i++) {
    const { start, end } = lines[i]!;
    lineNo++;
    let content = text.slice(start, end).replace(/\r?\n$/, '');
    // A byte order mark before the first line (csv-parse drops it from data, not from this check).
    if (lineNo === 1 && content.charCodeAt(0) === 0xfeff) content = content.slice(1);
    const isComment = format.commentPrefix !== undefined && content.startsWith(format.commentPrefix);
    const skip = lineNo <= format.skipLines || isComment || (format.type === 'dhcp' && !isDhcpRecord(content, format.delimiter));
    const isHeader = !skip && format.header && columns === undefined && content.trim() !== '';
    if (skip || isHeader) {
      consumed = flush(start, false);
      if (pendingHeld) break;
      if (format.type === 'w3c' && /^#Fields:/i.test(content)) columns = w3cColumns(content, format.columns);
      if (isHeader) columns = headerColumns(content, format, lineNo, origin, problems);
      consumed = end;
      continue;
    }
    if (blockStart < 0) {
      blockStart = start;
      blockLine = lineNo;
    }
  }
  if (!pendingHeld) consumed = flush(lines.length ? lines[lines.length - 1]!.end : 0, true);
  const consumedLines = countNewlines(text.slice(0, consumed)) + (final && consumed === text.length && !text.endsWith('\n') && text.length > 0 ? 1 : 0);
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { rows, problems, consumed, state: { ...(columns ? { columns } : {}), line: state.line + consumedLines } };
}
