/** A region of one source file, as UTF-16 offsets; line and column are derived only when reported. */
export interface Span {
  /** Repository-relative path with `/` separators, or `` for the repository as a whole. */
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

/** Builds a span; `end` defaults to `start` (a point). */
export function span(file: string, start: number, end: number = start): Span {
  return { file, start, end: Math.max(start, end) };
}

/** A span covering a whole file's first character, used when nothing finer is known. */
export function fileStart(file: string): Span {
  return { file, start: 0, end: 0 };
}

/** Anything from the yaml package that carries a source range `[start, valueEnd, nodeEnd]`. */
export interface Ranged {
  readonly range?: readonly [number, number, number] | null;
}

/** The span of a yaml node (its value, without trailing comments); a point at 0 when it has no range. */
export function spanOfNode(file: string, node: Ranged | null | undefined): Span {
  const range = node?.range;
  if (!range) return fileStart(file);
  return { file, start: range[0], end: range[1] };
}
