/**
 * Splits an events text into events: JSON Lines, one JSON array, or JSON objects written one
 * after another (pretty-printed, as some EVTX exporters do). A malformed record is reported
 * with its index and skipped; it never stops the rest. Pure: the caller does the reading.
 */

/** One record of the input: a parsed event, or why it could not be parsed. */
export type EventRecord =
  | { readonly index: number; readonly line: number; readonly event: unknown }
  | { readonly index: number; readonly line: number; readonly error: string };

function parseOne(text: string, index: number, line: number): EventRecord {
  try {
    const event: unknown = JSON.parse(text);
    if (typeof event !== 'object' || event === null || Array.isArray(event)) return { index, line, error: 'not a JSON object' };
    return { index, line, event };
  } catch (error) {
    return { index, line, error: (error as Error).message };
  }
}

/** Net count of `{`/`[` minus `}`/`]` outside strings, and whether a string is left open. */
function depthOf(line: string, start: { depth: number; inString: boolean }): { depth: number; inString: boolean } {
  let { depth, inString } = start;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
  }
  return { depth, inString };
}

/** Yields every record of the text, in order; `line` is the 1-based line where the record starts. */
export function* splitEvents(text: string): Generator<EventRecord> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = body.search(/\S/);
  if (first >= 0 && body[first] === '[') {
    try {
      const all: unknown = JSON.parse(body);
      if (Array.isArray(all)) {
        for (let i = 0; i < all.length; i++) {
          const e = all[i];
          yield typeof e === 'object' && e !== null && !Array.isArray(e) ? { index: i, line: 1, event: e } : { index: i, line: 1, error: 'not a JSON object' };
        }
        return;
      }
    } catch {
      // Not one array: fall through and read it as records.
    }
  }
  let index = 0;
  let lineNo = 0;
  let pending = '';
  let pendingLine = 0;
  let state = { depth: 0, inString: false };
  let pos = 0;
  while (pos <= body.length) {
    let end = body.indexOf('\n', pos);
    if (end < 0) end = body.length;
    let line = body.slice(pos, end);
    pos = end + 1;
    lineNo++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    // A new top-level object at column 0 while one is still open: the open one was truncated.
    if (pending !== '' && line.startsWith('{')) {
      yield { index: index++, line: pendingLine, error: 'truncated JSON object' };
      pending = '';
    }
    if (pending === '') {
      if (line.trim() === '') continue;
      // Fast path: a whole JSON Lines record.
      if (line.charCodeAt(0) === 123 && line.charCodeAt(line.length - 1) === 125) {
        const rec = parseOne(line, index, lineNo);
        if (!('error' in rec)) {
          index++;
          yield rec;
          continue;
        }
      }
      state = depthOf(line, { depth: 0, inString: false });
      if (state.depth <= 0 && !state.inString) {
        yield parseOne(line, index++, lineNo);
        continue;
      }
      pending = line;
      pendingLine = lineNo;
      continue;
    }
    pending += '\n' + line;
    state = depthOf(line, state);
    if (state.depth <= 0 && !state.inString) {
      yield parseOne(pending, index++, pendingLine);
      pending = '';
    }
  }
  if (pending !== '') yield { index: index++, line: pendingLine, error: 'truncated JSON object' };
}
