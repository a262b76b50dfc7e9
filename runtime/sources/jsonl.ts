/**
 * JSON Lines: one JSON object per line. A malformed line or a value that is not an object is
 * reported with its line number and skipped; it never stops the lines after it. Also reads a
 * stream (stdin) line by line, in batches, for `--events -`.
 */
import type { Readable } from 'node:stream';
import type { CompiledFormat, SourceEvent } from './log-format.js';
import { problem, type Problem, type ProblemSink } from './problems.js';
import type { ParsedRow } from './delimited.js';
import { boundedLines, MAX_LINE_BYTES } from './line-stream.js';

/** Parses one line; pushes a problem and returns undefined when it is not a JSON object. */
export function parseJsonLine(text: string, line: number, origin: string, problems: Problem[], format?: CompiledFormat): SourceEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    problems.push(problem('VS1001', origin, { line, detail: (error as Error).message.replace(/^Unexpected token.*?in JSON/, 'unexpected token') }));
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(problem('VS1002', origin, { line }));
    return undefined;
  }
  return format ? format.stamp(value as SourceEvent) : (value as SourceEvent);
}

/** Parses the complete lines of a chunk; `firstLine` is the 1-based number of its first line. */
export function parseJsonLines(text: string, firstLine: number, origin: string, format?: CompiledFormat): { rows: ParsedRow[]; problems: Problem[] } {
  const rows: ParsedRow[] = [];
  const problems: Problem[] = [];
  let line = firstLine;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const content = text.slice(start, end).trim();
    if (content !== '') {
      const event = parseJsonLine(content, line, origin, problems, format);
      if (event) rows.push({ line, event });
    }
    start = end + 1;
    line++;
  }
  return { rows, problems };
}

/** Reads JSON Lines from a stream (stdin), handing events to `onBatch` in batches of up to `batchSize`. */
export async function readJsonlStream(
  input: Readable,
  origin: string,
  onBatch: (rows: readonly ParsedRow[]) => void | Promise<void>,
  report: ProblemSink,
  options: { batchSize?: number; format?: CompiledFormat } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 500;
  let batch: ParsedRow[] = [];
  let line = 0;
  let total = 0;
  for await (const text of boundedLines(input)) {
    line++;
    if (text === null) {
      report(problem('VS1006', origin, { line, limit: MAX_LINE_BYTES }));
      continue;
    }
    if (text.trim() === '') continue;
    const problems: Problem[] = [];
    const event = parseJsonLine(text, line, origin, problems, options.format);
    problems.forEach(report);
    if (!event) continue;
    batch.push({ line, event });
    if (batch.length >= batchSize) {
      total += batch.length;
      await onBatch(batch);
      batch = [];
    }
  }
  if (batch.length) {
    total += batch.length;
    await onBatch(batch);
  }
  return total;
}
