import { isMap, isPair, isScalar, isSeq, Scalar, type Node, type Pair, type YAMLMap } from 'yaml';
import { spanOfNode, type Span } from '../span.js';
import type { Source } from '../source.js';
import type { Reporter } from '../reporter.js';
import { diag } from '../diagnostics/diagnostic.js';
import { spanInScalar } from './spans.js';

/**
 * The detection section → Selection AST (`field|mod|mod: values`), keeping a span for every
 * key, modifier and value (Sigma rules specification, "Detection"). Maps are AND, lists of maps
 * are OR, lists of plain values are keyword searches.
 */

/** One value as written, with its span. `text` is the written form of plain numbers (`0x10`). */
export interface ValueItem {
  readonly value: string | number | boolean | null;
  readonly text?: string;
  readonly span: Span;
}

/** `field|mod|mod: values`; `field` undefined means a keyword search (`'|all': [...]` or a plain list). */
export interface FieldItem {
  readonly field: string | undefined;
  readonly modifiers: readonly string[];
  readonly modifierSpans: readonly Span[];
  readonly keySpan: Span;
  readonly values: readonly ValueItem[];
  /** Whether the values were written as a YAML list (even of one). */
  readonly list: boolean;
}

/** A named selection: OR over alternatives, each an AND of field items. */
export interface Selection {
  readonly name: string;
  readonly span: Span;
  readonly alternatives: readonly (readonly FieldItem[])[];
}

function scalarValue(source: Source, node: Node | null): ValueItem | undefined {
  const at = spanOfNode(source.path, node as never);
  if (node === null) return { value: null, span: at };
  if (!isScalar(node)) return undefined;
  const v = node.value;
  if (v === null || v === undefined) return { value: null, span: at };
  if (typeof v === 'number') {
    const text = node.range ? source.text.slice(node.range[0], node.range[1]) : String(v);
    return node.type === Scalar.PLAIN ? { value: v, text, span: at } : { value: v, span: at };
  }
  if (typeof v === 'string' || typeof v === 'boolean') return { value: v, span: at };
  // Dates or other tagged values (YAML 1.1 timestamps): keep the written text, as the spec intends.
  const text = node.range ? source.text.slice(node.range[0], node.range[1]) : String(v);
  return { value: text, span: at };
}

function fieldItem(source: Source, pair: Pair, reporter: Reporter, selName: string): FieldItem | undefined {
  const keyNode = pair.key as Node | null;
  const key = isScalar(keyNode) ? String(keyNode.value ?? '') : '';
  const keySpan = spanOfNode(source.path, keyNode as never);
  const parts = key.split('|');
  const field = parts[0] === '' ? undefined : parts[0];
  const modifiers = parts.slice(1);
  const modifierSpans: Span[] = [];
  let offset = parts[0]!.length + 1;
  for (const m of modifiers) {
    modifierSpans.push(spanInScalar(source, keyNode, offset, offset + m.length));
    offset += m.length + 1;
  }
  const valueNode = pair.value as Node | null;
  const values: ValueItem[] = [];
  let list = false;
  if (isSeq(valueNode)) {
    list = true;
    for (const item of valueNode.items) {
      const v = scalarValue(source, item as Node | null);
      if (!v) {
        reporter.report(diag('VG6008', spanOfNode(source.path, item as never), { what: `field \`${key}\` in \`${selName}\``, expected: 'scalar values', actual: 'a nested structure' }));
        return undefined;
      }
      values.push(v);
    }
  } else {
    const v = scalarValue(source, valueNode);
    if (!v) {
      reporter.report(diag('VG6008', spanOfNode(source.path, valueNode as never), { what: `field \`${key}\` in \`${selName}\``, expected: 'a value or a list of values', actual: 'a map' }));
      return undefined;
    }
    values.push(v);
  }
  return { field, modifiers, modifierSpans, keySpan, values, list };
}

function mapItems(source: Source, map: YAMLMap, reporter: Reporter, selName: string): FieldItem[] | undefined {
  const out: FieldItem[] = [];
  let ok = true;
  for (const pair of map.items) {
    if (!isPair(pair)) continue;
    const item = fieldItem(source, pair as Pair, reporter, selName);
    if (item) out.push(item);
    else ok = false;
  }
  return ok ? out : undefined;
}

/** Parses one named detection item; reports what is wrong and returns undefined then. */
export function parseSelection(source: Source, name: string, keyNode: Node | null, node: Node | null, reporter: Reporter): Selection | undefined {
  const at = spanOfNode(source.path, keyNode as never);
  const invalid = () => {
    reporter.report(diag('VG6010', at, { name }));
    return undefined;
  };
  if (isMap(node)) {
    if (node.items.length === 0) return invalid();
    const items = mapItems(source, node, reporter, name);
    return items ? { name, span: at, alternatives: [items] } : undefined;
  }
  if (isSeq(node)) {
    if (node.items.length === 0) return invalid();
    const alternatives: FieldItem[][] = [];
    const keywords: ValueItem[] = [];
    let ok = true;
    for (const item of node.items) {
      if (isMap(item)) {
        const items = mapItems(source, item, reporter, name);
        if (items && items.length > 0) alternatives.push(items);
        else ok = false;
      } else {
        const v = scalarValue(source, item as Node | null);
        if (!v) return invalid();
        keywords.push(v);
      }
    }
    if (!ok) return undefined;
    if (keywords.length > 0) {
      alternatives.push([{ field: undefined, modifiers: [], modifierSpans: [], keySpan: at, values: keywords, list: true }]);
    }
    return { name, span: at, alternatives };
  }
  if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) {
    const v = scalarValue(source, node)!;
    return { name, span: at, alternatives: [[{ field: undefined, modifiers: [], modifierSpans: [], keySpan: at, values: [v], list: false }]] };
  }
  return invalid();
}
