import { splitEvents } from '../runtime/engine/event-stream.js';
import { writeLine } from './command.js';
import type { Io } from './io.js';

/**
 * Feeds every event of an input text to `process` with its 0-based index, printing what it
 * emits as JSON Lines in 64 KiB chunks. A malformed event is reported by index on stderr and
 * skipped, never fatal. Returns how many lines were printed.
 */
export function runEventStream<A>(
  text: string,
  eventsName: string,
  io: Io,
  process: (event: unknown, index: number, emit: (alert: A) => void) => void,
  toLine: (alert: A) => string,
  finish?: (emit: (alert: A) => void) => void,
): number {
  let out = '';
  let count = 0;
  const emit = (alert: A) => {
    count++;
    out += toLine(alert) + '\n';
    if (out.length > 1 << 16) {
      io.stdout.write(out);
      out = '';
    }
  };
  for (const rec of splitEvents(text)) {
    if ('error' in rec) {
      writeLine(io.stderr, `${eventsName}:${rec.line}: warning: event ${rec.index} skipped: ${rec.error}`);
      continue;
    }
    process(rec.event, rec.index, emit);
  }
  finish?.(emit);
  if (out) io.stdout.write(out);
  return count;
}
