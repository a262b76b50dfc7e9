/**
 * A `file` or `jsonl` LogSource run by the agent: its files followed from persisted offsets,
 * parsed per its LogFormat (JSON Lines when it has none or a `jsonl` one), mapped to rule field
 * names and handed to the sink in batches.
 */
import type { LogFormat } from '../../schema/generated/log-format.js';
import type { LogSource } from '../../schema/generated/log-source.js';
import type { Store } from '../state/store.js';
import { parseDelimited } from './delimited.js';
import { tagger, type EventSink } from './event-sink.js';
import { FileFollower, type ChunkParser } from './file-follower.js';
import { parseJsonLines } from './jsonl.js';
import { compileFormat, type CompiledFormat } from './log-format.js';
import { ignoreProblems, type ProblemSink } from './problems.js';

/** What a file source needs from the agent. */
export interface FileSourceDeps {
  readonly store: Store;
  readonly sink: EventSink;
  readonly report?: ProblemSink;
}

/** A running file source. */
export interface FileSource {
  /** Reads what is new in every file; resolves with the number of events delivered. */
  poll(): Promise<number>;
  close(): Promise<void>;
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The chunk parser for a format: delimited types through csv-parse, JSON Lines otherwise. */
export function chunkParser(format: CompiledFormat | undefined, origin: string): ChunkParser {
  if (format && format.type !== 'jsonl') {
    if (format.type === 'syslog') throw new Error('syslog LogFormats are not read from files yet');
    return (text, cursor, final) => parseDelimited(text, format, origin, cursor, final);
  }
  return (text, cursor, final) => {
    // The follower hands complete lines unless the input is final.
    const { rows, problems } = parseJsonLines(text, cursor.line + 1, origin, format);
    const lines = countNewlines(text, text.length) + (final && text.length > 0 && !text.endsWith('\n') ? 1 : 0);
    return { rows, problems, consumed: text.length, state: { line: cursor.line + lines } };
  };
}

/** Creates the source for a `file` or `jsonl` LogSource; `follow` keeps waiting for appended lines. */
export function createFileSource(source: LogSource, format: LogFormat | undefined, deps: FileSourceDeps, options: { follow?: boolean; chunkBytes?: number } = {}): FileSource {
  const name = source.metadata.name;
  const tag = tagger(source);
  const compiled = format ? compileFormat(format.spec) : undefined;
  const follower = new FileFollower({
    source: name,
    patterns: source.spec.paths ?? [],
    store: deps.store,
    parse: chunkParser(compiled, name),
    deliver: (rows, file) => deps.sink(rows.map((r) => tag(r.event, file, r.line))),
    report: deps.report ?? ignoreProblems,
    follow: options.follow ?? true,
    ...(options.chunkBytes ? { chunkBytes: options.chunkBytes } : {}),
  });
  return { poll: () => follower.poll(), close: () => follower.close() };
}
