import { parseAllDocuments } from 'yaml';
import { compileSigmaDoc, type SigmaOptions } from '../../../compiler/sigma/compile-sigma.js';
import { DiagnosticList } from '../../../compiler/reporter.js';
import { lineCol, type Source } from '../../../compiler/source.js';
import type { Rule } from '../../../runtime/engine/ir.js';

/** A Source for inline YAML. */
export function sourceOf(text: string, path = 'rules/test.yml'): Source {
  return { path, text, origin: { kind: 'worktree', root: '/' }, digest: '' };
}

/** Compiles every document of a YAML text; returns the IR rules and the diagnostics. */
export function compileText(text: string, options: SigmaOptions = {}): { rules: Rule[]; diags: DiagnosticList; source: Source } {
  const source = sourceOf(text);
  const diags = new DiagnosticList();
  const rules: Rule[] = [];
  parseAllDocuments(text).forEach((doc, index) => {
    if (!('contents' in doc) || doc.contents === null) return;
    const c = compileSigmaDoc({ source, doc, index }, diags, options);
    if (c) rules.push(c.ir);
  });
  return { rules, diags, source };
}

/** `CODE@line:col` for every diagnostic, for compact assertions. */
export function codesAt(diags: DiagnosticList, source: Source): string[] {
  return diags.items.map((d) => {
    const { line, column } = lineCol(source, d.span.start);
    return `${d.code}@${line}:${column}`;
  });
}

/** A minimal detection rule around a detection body (YAML, indented by 2). */
export function rule(detection: string, extra = ''): string {
  return `title: t\nid: r1\nlogsource: { product: test }\n${extra}detection:\n${detection}\n`;
}
