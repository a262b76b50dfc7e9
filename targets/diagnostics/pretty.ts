import type { Severity } from '../../compiler/diagnostics/diagnostic.js';
import { lineCount, lineStarts, lineText, type Source } from '../../compiler/source.js';
import type { Span } from '../../compiler/span.js';
import { locateAll, shownPath, type Located, type Region, type RenderInput } from './locate.js';

/** Options of the pretty renderer. */
export interface PrettyOptions {
  /** ANSI colour; only when the terminal wants it (never in golden files). */
  readonly color?: boolean;
}

/** Longest line shown whole; longer lines are cut around the caret. */
const MAX_WIDTH = 120;
const TAB = '    ';

type Paint = (style: keyof typeof STYLES, text: string) => string;
const STYLES = { error: '1;31', warning: '1;33', info: '1;36', bold: '1', gutter: '1;34', secondary: '1;34' } as const;

/**
 * `--format pretty`: rustc-shaped code frames (STYLE.md §9): `severity[code]: message`,
 * `--> file:line:col`, the line before and after, the span underlined with `^` and related
 * spans with `-` under `:::`, then `= hint:`. Control characters of the input are replaced,
 * so a policy file cannot send escape sequences to the terminal.
 */
export function renderPretty(input: RenderInput, options: PrettyOptions = {}): string {
  const paint: Paint = options.color ? (style, text) => `\u001b[${STYLES[style]}m${text}\u001b[0m` : (_style, text) => text;
  const hidden = input.redact ?? [];
  const blocks = locateAll(input).map((d) => frame(d, input, paint, hidden));
  for (const [file, n] of input.omitted ?? []) {
    blocks.push(`${paint('info', 'note')}: ${n} more diagnostic${n === 1 ? '' : 's'} in ${clean(shownPath(file, input))} not shown`);
  }
  return blocks.map((b) => b + '\n').join('\n');
}

function frame(d: Located, input: RenderInput, paint: Paint, hidden: readonly Span[]): string {
  const text = (src: Source, line: number) => redacted(src, line, hidden);
  const lines: string[] = [];
  const source = input.sources.get(d.region.source);
  lines.push(`${paint(d.severity, `${d.severity}[${d.code}]`)}${paint('bold', `: ${clean(d.message)}`)}`);
  const shown = source !== undefined && source.text.length > 0;
  const numbers = [d.region.line + 1, ...d.related.map((r) => r.line)];
  const width = String(Math.max(...numbers)).length;
  const pad = ' '.repeat(width);
  const bar = paint('gutter', `${pad} |`);
  lines.push(`${pad}${paint('gutter', '-->')} ${clean(d.region.file)}:${d.region.line}:${d.region.column}`);
  if (shown) {
    lines.push(bar);
    const count = lineCount(source);
    const last = lineText(source, count) === '' ? count - 1 : count;
    if (d.region.line > 1) lines.push(codeLine(text(source, d.region.line - 1), d.region.line - 1, width, paint, d.region.column));
    lines.push(codeLine(text(source, d.region.line), d.region.line, width, paint, d.region.column));
    lines.push(marker(text(source, d.region.line), d.region, '^', d.label, width, paint, d.severity));
    if (d.region.line + 1 <= last) lines.push(codeLine(text(source, d.region.line + 1), d.region.line + 1, width, paint, d.region.column));
  }
  for (const r of d.related) {
    const rs = input.sources.get(r.source);
    lines.push(bar);
    lines.push(`${pad}${paint('gutter', ':::')} ${clean(r.file)}:${r.line}:${r.column}`);
    if (rs !== undefined && rs.text.length > 0) {
      lines.push(bar);
      lines.push(codeLine(text(rs, r.line), r.line, width, paint, r.column));
      lines.push(marker(text(rs, r.line), r, '-', r.message, width, paint, 'secondary'));
    } else {
      lines.push(`${pad} ${paint('gutter', '=')} ${clean(r.message)}`);
    }
  }
  if (d.hint !== undefined) {
    lines.push(bar);
    lines.push(`${pad} ${paint('gutter', '=')} ${paint('bold', 'hint')}: ${clean(d.hint)}`);
  }
  return lines.join('\n');
}

/** One numbered source line, tabs expanded and long lines cut around the focus column. */
function codeLine(raw: string, line: number, width: number, paint: Paint, focus: number): string {
  const { text } = view(raw, focus);
  const gutter = paint('gutter', `${String(line).padStart(width)} |`);
  return text === '' ? gutter : `${gutter} ${text}`;
}

/** The underline for a region on its first line, with an optional label after it. */
function marker(raw: string, region: Region, char: '^' | '-', label: string | undefined, width: number, paint: Paint, style: Severity | 'secondary'): string {
  const endCol = region.endLine === region.line ? region.endColumn : raw.length + 1;
  const { caret, length } = view(raw, region.column, Math.max(endCol, region.column + 1));
  const underline = char.repeat(Math.max(1, length)) + (label === undefined ? '' : ` ${clean(label)}`);
  return `${paint('gutter', `${' '.repeat(width)} |`)} ${' '.repeat(caret)}${paint(style, underline)}`;
}

/**
 * A line as displayed: control characters replaced, tabs expanded, cut to MAX_WIDTH around
 * `column`. Returns the display offset and length of the columns [column, endColumn).
 */
function view(raw: string, column: number, endColumn = column + 1): { text: string; caret: number; length: number } {
  const before = expand(clean(raw.slice(0, Math.max(0, column - 1))));
  const inside = expand(clean(raw.slice(Math.max(0, column - 1), Math.max(column - 1, endColumn - 1))));
  let text = expand(clean(raw));
  let caret = before.length;
  let length = inside.length;
  if (text.length > MAX_WIDTH) {
    const start = Math.max(0, Math.min(caret - 20, text.length - MAX_WIDTH));
    const end = start + MAX_WIDTH;
    const head = start > 0 ? '…' : '';
    text = head + text.slice(start, end) + (end < text.length ? '…' : '');
    caret = caret - start + head.length;
    length = Math.min(length, MAX_WIDTH - (caret - head.length));
  }
  return { text, caret, length };
}

/** A source line with every redacted span on it replaced by `*`. */
function redacted(source: Source, line: number, hidden: readonly Span[]): string {
  const raw = lineText(source, line);
  const start = lineStarts(source)[line - 1] ?? 0;
  let out = raw;
  for (const h of hidden) {
    if (h.file !== source.path || h.end <= start || h.start >= start + raw.length) continue;
    const a = Math.max(0, h.start - start);
    const b = Math.min(raw.length, h.end - start);
    out = out.slice(0, a) + '*'.repeat(b - a) + out.slice(b);
  }
  return out;
}

function expand(text: string): string {
  return text.replace(/\t/g, TAB);
}

/** Replaces control and bidirectional-override characters (terminal safety; one for one, so columns hold). */
export function clean(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '\uFFFD');
}
