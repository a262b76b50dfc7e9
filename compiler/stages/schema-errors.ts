import type { ErrorObject } from 'ajv/dist/2020.js';
import { distance } from 'fastest-levenshtein';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean, suggest } from '../diagnostics/suggest.js';
import { spanOfNode, type Span } from '../span.js';
import type { Doc } from './classify.js';
import { kindLabel } from './classify.js';
import { locate, pathLabel, pointerToPath, type NodePath } from './yaml-nodes.js';

/**
 * Turns ajv's errors for one document into diagnostics, each pointing at the exact YAML node
 * (STYLE.md §9 "Spans for ajv errors"): the key for unknown fields, the parent key for missing
 * ones, the value for everything else, and the nearest existing ancestor as a fallback.
 * Values are never quoted in messages: a value may be a secret.
 */
export function schemaDiagnostics(doc: Doc, errors: readonly ErrorObject[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const kept = simplify(errors);
  for (const group of kept) out.push(toDiagnostic(doc, group));
  return out;
}

/** Errors at one place that read best as one diagnostic (e.g. `string or array`). */
interface ErrorGroup {
  readonly keyword: string;
  readonly path: string[];
  readonly errors: readonly ErrorObject[];
}

/**
 * Drops noise: `if` wrappers, anyOf/oneOf summaries when their branches explain the problem,
 * and merges same-place `type` errors and the `required` errors of anyOf branches.
 */
function simplify(errors: readonly ErrorObject[]): ErrorGroup[] {
  const groups = new Map<string, { keyword: string; path: string[]; errors: ErrorObject[] }>();
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  // A value whose type matched one branch of a oneOf/anyOf but broke another rule there: the
  // other branches' "must be <type>" errors are noise next to the real problem.
  const typeOk = new Set(errors.filter((e) => !['type', 'if', 'anyOf', 'oneOf', 'required', 'additionalProperties'].includes(e.keyword)).map((e) => e.instancePath));
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    if (e.keyword === 'type' && typeOk.has(e.instancePath) && /\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath)) continue;
    if ((e.keyword === 'anyOf' || e.keyword === 'oneOf') && errors.some((o) => o !== e && o.keyword !== 'anyOf' && o.keyword !== 'oneOf' && o.keyword !== 'if' && o.instancePath.startsWith(e.instancePath))) continue;
    let groupKey: string;
    if (e.keyword === 'type') groupKey = `type|${e.instancePath}`;
    else if (e.keyword === 'required' && anyOfPaths.has(e.instancePath) && /\/anyOf\/\d+\/required$/.test(e.schemaPath)) groupKey = `anyreq|${e.instancePath}`;
    else if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') groupKey = `add|${e.instancePath}|${String(e.params.additionalProperty ?? e.params.unevaluatedProperty)}`;
    else if (e.keyword === 'required') groupKey = `req|${e.instancePath}|${String(e.params.missingProperty)}`;
    else groupKey = `${e.keyword}|${e.instancePath}|${e.schemaPath}`;
    const g = groups.get(groupKey);
    if (g) g.errors.push(e);
    else groups.set(groupKey, { keyword: e.keyword, path: pointerToPath(e.instancePath), errors: [e] });
  }
  return [...groups.values()];
}

function toDiagnostic(doc: Doc, group: ErrorGroup): Diagnostic {
  const file = doc.source.path;
  const first = group.errors[0]!;
  const kind = kindLabel(doc.kind);
  const where = group.path.length === 0 ? 'the document' : `\`${pathLabel(group.path)}\``;
  const whereIn = group.path.length === 0 ? `${kind} document` : `${kind} \`${pathLabel(group.path)}\``;
  switch (group.keyword) {
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const field = String(first.params.additionalProperty ?? first.params.unevaluatedProperty);
      const at = locate(doc.doc, [...group.path, field]);
      const s = at.depth === group.path.length + 1 && at.key ? spanOfNode(file, at.key) : valueSpan(doc, group.path);
      const allowed = Object.keys((first.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const hint = didYouMean(suggest(field, allowed)) ?? (allowed.length > 0 ? `allowed fields: ${allowed.map((a) => `\`${a}\``).join(', ')}` : undefined);
      return diag('VG2001', s, { field, where: whereIn }, { label: 'not allowed here', ...(hint ? { hint } : {}) });
    }
    case 'required': {
      const fields = group.errors.map((e) => String(e.params.missingProperty));
      const field = [...new Set(fields)].join('` or `');
      return diag('VG2002', parentKeySpan(doc, group.path), { field, where: whereIn }, { label: `\`${fields[0]}\` missing` });
    }
    case 'type': {
      const expected = [...new Set(group.errors.map((e) => String(e.params.type)))].join(' or ');
      return diag('VG2003', valueSpan(doc, group.path), { where, expected: article(expected), actual: typeOf(first.data) });
    }
    case 'enum':
    case 'const': {
      const allowed: unknown[] = first.keyword === 'enum' ? ((first.params.allowedValues as unknown[]) ?? []) : [first.params.allowedValue];
      const actual = typeof first.data === 'string' ? first.data : '';
      const sorted = [...allowed].sort((a, b) => distance(actual, String(a)) - distance(actual, String(b)));
      const list = sorted.slice(0, 12).map((v) => `\`${String(v)}\``).join(', ') + (sorted.length > 12 ? ', …' : '');
      return diag('VG2004', valueSpan(doc, group.path), { where }, { hint: sorted.length === 1 ? `expected ${list}` : `allowed values: ${list}` });
    }
    case 'pattern':
    case 'format': {
      const expected = first.keyword === 'format' ? `a valid ${String(first.params.format)}` : `a string matching \`${String(first.params.pattern)}\``;
      return diag('VG2005', valueSpan(doc, group.path), { where }, { hint: `expected ${expected}` });
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'minLength':
    case 'maxLength':
    case 'minItems':
    case 'maxItems':
    case 'minProperties':
    case 'maxProperties':
    case 'multipleOf':
      return diag('VG2006', valueSpan(doc, group.path), { where, constraint: first.message ?? 'is out of range' });
    default:
      return diag('VG2007', valueSpan(doc, group.path), { where, detail: first.message ?? `breaks the \`${first.keyword}\` rule` });
  }
}

/** The value at a path, or its nearest existing ancestor. */
function valueSpan(doc: Doc, path: NodePath): Span {
  const at = locate(doc.doc, path);
  return spanOfNode(doc.source.path, at.node);
}

/** For a missing field: the key of the mapping that lacks it, or the document start. */
function parentKeySpan(doc: Doc, path: NodePath): Span {
  const at = locate(doc.doc, path);
  if (at.depth === path.length && at.key) return spanOfNode(doc.source.path, at.key);
  if (path.length === 0) {
    const start = doc.doc.contents?.range?.[0] ?? 0;
    return { file: doc.source.path, start, end: start };
  }
  return spanOfNode(doc.source.path, at.key ?? at.node);
}

function article(expected: string): string {
  return expected
    .split(' or ')
    .map((t) => (t === 'array' || t === 'object' || t === 'integer' ? `an ${t}` : t === 'null' ? 'null' : `a ${t}`))
    .join(' or ');
}

function typeOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}
