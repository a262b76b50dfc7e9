import { locateAll, type RenderInput } from './locate.js';

/**
 * `--format json`: one object per line per diagnostic, in the shape of
 * schema/diagnostic.schema.json (1-based lines, UTF-16 columns, end column exclusive).
 */
export function renderJson(input: RenderInput): string {
  return locateAll(input)
    .map((d) =>
      JSON.stringify({
        code: d.code,
        severity: d.severity,
        message: d.message,
        file: d.region.file,
        line: d.region.line,
        column: d.region.column,
        endLine: d.region.endLine,
        endColumn: d.region.endColumn,
        ...(d.hint === undefined ? {} : { hint: d.hint }),
        ...(d.related.length === 0 ? {} : { related: d.related.map((r) => ({ file: r.file, line: r.line, column: r.column, message: r.message })) }),
      }) + '\n',
    )
    .join('');
}
