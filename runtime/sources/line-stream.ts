/**
 * Lines of a byte stream (stdin, a pipe) with a bound on their length: a stream that never sends
 * a newline would otherwise grow one string until the process runs out of memory. Lines end at
 * `\n` (a `\r` before it is dropped); a line over the bound is skipped, not held.
 */

/** The longest line kept, in bytes; also the file follower's default chunk, so streams and files keep the same lines. */
export const MAX_LINE_BYTES = 4 << 20;

/** Each line of `input` as text, or null for a line longer than `maxBytes` (skipped; the caller reports it). */
export async function* boundedLines(input: AsyncIterable<Buffer | string>, maxBytes = MAX_LINE_BYTES): AsyncGenerator<string | null> {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      const end = nl < 0 ? buf.length : nl;
      if (!skipping && size + (end - start) > maxBytes) {
        skipping = true;
        parts = [];
        size = 0;
      }
      if (!skipping && end > start) {
        parts.push(buf.subarray(start, end));
        size += end - start;
      }
      if (nl < 0) break;
      yield skipping ? null : lineText(parts, size);
      skipping = false;
      parts = [];
      size = 0;
      start = nl + 1;
    }
  }
  if (skipping) yield null;
  else if (size > 0) yield lineText(parts, size);
}

function lineText(parts: readonly Buffer[], size: number): string {
  const text = (parts.length === 1 ? parts[0]! : Buffer.concat(parts, size)).toString('utf8');
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
