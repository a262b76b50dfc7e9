import type { Span } from '../span.js';
import { CODES, type CodeId } from './codes.js';

/** How bad a diagnostic is; only warnings and infos can be configured. */
export type Severity = 'error' | 'warning' | 'info';

/** A secondary location that explains the primary one ("first defined here"). */
export interface Related {
  readonly span: Span;
  readonly message: string;
}

/** A problem found in the input: a value, never thrown. */
export interface Diagnostic {
  readonly code: CodeId;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly hint?: string;
  /** Short label printed under the caret in the code frame. */
  readonly label?: string;
  readonly related?: readonly Related[];
}

/** Arguments substituted into a code's message and hint templates (`{name}`). */
export type DiagArgs = Readonly<Record<string, string | number>>;

/** Optional parts of a diagnostic beyond its code, span and arguments. */
export interface DiagExtra {
  readonly hint?: string;
  readonly label?: string;
  readonly related?: readonly Related[];
}

/** Fills `{name}` placeholders from args; unknown placeholders are left as they are. */
export function formatTemplate(template: string, args: DiagArgs): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, key: string) =>
    Object.prototype.hasOwnProperty.call(args, key) ? String(args[key]) : whole,
  );
}

/** Builds a diagnostic from the catalog: severity, message and default hint come from codes.ts. */
export function diag(code: CodeId, at: Span, args: DiagArgs = {}, extra: DiagExtra = {}): Diagnostic {
  const info = CODES[code];
  const hint = extra.hint ?? (info.hint === undefined ? undefined : formatTemplate(info.hint, args));
  return {
    code,
    severity: info.severity,
    message: formatTemplate(info.message, args),
    span: at,
    ...(hint === undefined ? {} : { hint }),
    ...(extra.label === undefined ? {} : { label: extra.label }),
    ...(extra.related === undefined || extra.related.length === 0 ? {} : { related: extra.related }),
  };
}

/** Orders diagnostics by file, offset, then code (stable output for tests and CI logs). */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.span.file !== b.span.file) return a.span.file < b.span.file ? -1 : 1;
  if (a.span.start !== b.span.start) return a.span.start - b.span.start;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}
