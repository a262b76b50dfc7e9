import type { Diagnostic, Severity } from '../../compiler/diagnostics/diagnostic.js';
import { lineCol, type Source } from '../../compiler/source.js';
import type { Span } from '../../compiler/span.js';

/** What every diagnostics renderer gets: diagnostics, the sources behind their spans, and paths. */
export interface RenderInput {
  /** Sorted and capped diagnostics. */
  readonly diagnostics: readonly Diagnostic[];
  /** Diagnostics left out per file by the cap. */
  readonly omitted?: ReadonlyMap<string, number>;
  /** Sources by path, for line/column and code frames. */
  readonly sources: ReadonlyMap<string, Source>;
  /** How a source path is shown (e.g. prefixed with the directory given on the command line). */
  readonly displayPath?: (file: string) => string;
  /** Spans whose text is never printed (plaintext secrets): code frames show `*` instead. */
  readonly redact?: readonly Span[];
}

/** A span as 1-based line and UTF-16 column, end exclusive (SARIF's convention). */
export interface Region {
  /** The path as shown. */
  readonly file: string;
  /** The source path the region is in (the key of `sources`). */
  readonly source: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/** A diagnostic with its spans turned into lines and columns, ready for any output format. */
export interface Located {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly hint?: string;
  readonly label?: string;
  readonly region: Region;
  readonly related: readonly (Region & { readonly message: string })[];
}

/** Converts a span to a region; line and column are computed only here, when reporting. */
export function regionOf(span: Span, input: RenderInput): Region {
  const file = shownPath(span.file, input);
  const source = input.sources.get(span.file);
  if (source === undefined) return { file, source: span.file, line: 1, column: 1, endLine: 1, endColumn: 1 };
  const start = lineCol(source, span.start);
  const end = lineCol(source, span.end);
  return { file, source: span.file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}

/** The path shown for a source path; the repository itself (``) shows as its directory. */
export function shownPath(file: string, input: RenderInput): string {
  const shown = input.displayPath ? input.displayPath(file) : file;
  return shown === '' ? '.' : shown;
}

/** Locates every diagnostic of the input. */
export function locateAll(input: RenderInput): Located[] {
  return input.diagnostics.map((d) => ({
    code: d.code,
    severity: d.severity,
    message: d.message,
    ...(d.hint === undefined ? {} : { hint: d.hint }),
    ...(d.label === undefined ? {} : { label: d.label }),
    region: regionOf(d.span, input),
    related: (d.related ?? []).map((r) => ({ ...regionOf(r.span, input), message: r.message })),
  }));
}
