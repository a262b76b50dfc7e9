/** Where a source file was read from: the working tree, or a git ref resolved to a commit. */
export type Origin =
  | { readonly kind: 'worktree'; readonly root: string }
  | { readonly kind: 'git'; readonly root: string; readonly ref: string; readonly commit: string };

/** One input file: its repository-relative path, its text and where it came from. */
export interface Source {
  /** Repository-relative path with `/` separators. */
  readonly path: string;
  /** Decoded text (UTF-8, BOM removed, CRLF kept: offsets index this exact string). */
  readonly text: string;
  readonly origin: Origin;
  /** SHA-256 of the raw bytes, hex; used for provenance and caches. */
  readonly digest: string;
  /**
   * The working-tree file's stat signature (size, modification and change times, inode) when it
   * last changed long enough before the build that the cache may vouch for its bytes by it.
   */
  readonly stat?: string;
}

/** Thrown by a stage that finds a file's bytes are no longer those the build started with (an editor saved it meanwhile). */
export class SourceChangedError extends Error {
  constructor(readonly path: string) {
    super(`\`${path}\` changed during the build`);
  }
}

/** A 1-based line and a 1-based column counted in UTF-16 code units. */
export interface LineCol {
  readonly line: number;
  readonly column: number;
}

const lineStartsCache = new WeakMap<Source, number[]>();

/** Offsets at which each line of the source begins (computed once per source). */
export function lineStarts(source: Source): number[] {
  let starts = lineStartsCache.get(source);
  if (starts) return starts;
  starts = [0];
  const text = source.text;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) starts.push(i + 1);
  }
  lineStartsCache.set(source, starts);
  return starts;
}

/** Converts an offset into a 1-based line and column. */
export function lineCol(source: Source, offset: number): LineCol {
  const starts = lineStarts(source);
  const clamped = Math.max(0, Math.min(offset, source.text.length));
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= clamped) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: clamped - starts[lo]! + 1 };
}

/** The text of a 1-based line, without its line terminator. */
export function lineText(source: Source, line: number): string {
  const starts = lineStarts(source);
  const start = starts[line - 1];
  if (start === undefined) return '';
  const next = starts[line];
  let end = next === undefined ? source.text.length : next - 1;
  if (end > start && source.text.charCodeAt(end - 1) === 13) end--;
  return source.text.slice(start, end);
}

/** Number of lines in the source. */
export function lineCount(source: Source): number {
  return lineStarts(source).length;
}
