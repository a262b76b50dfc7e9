import { isKindName, type KindName } from '../../schema/generated/kinds.js';
import { diag } from '../diagnostics/diagnostic.js';
import { didYouMean, suggest } from '../diagnostics/suggest.js';
import { spanOfNode, type Span } from '../span.js';
import type { CompileContext } from '../context.js';
import type { Model, Reference, RuleEntry } from '../model.js';
import { isSigmaKind, type Doc, type DocKind } from './classify.js';
import { REFERENCE_FIELDS, valuesAt } from './references.js';
import { resolvePackages } from './resolve-packages.js';
import { resolveGroups } from './resolve-groups.js';
import { valueNode } from './yaml-nodes.js';

/**
 * Links the valid documents into a Model: symbol tables per kind, Sigma rules by id,
 * every name reference checked (with did-you-mean), package rule selectors expanded and
 * each host group's effective configuration computed. `all` holds every classified
 * document, valid or not, so a reference to a document that failed validation is not
 * reported a second time as unknown.
 */
export function resolve(docs: readonly Doc[], all: readonly Doc[], ctx: CompileContext): Model {
  const symbols = new Map<DocKind, Map<string, Doc>>();
  const rules = new Map<string, RuleEntry>();
  for (const doc of docs) {
    if (doc.name === undefined) continue;
    const table = symbols.get(doc.kind) ?? new Map<string, Doc>();
    symbols.set(doc.kind, table);
    if (!table.has(doc.name)) table.set(doc.name, doc);
    if (isSigmaKind(doc.kind) && !rules.has(doc.name)) rules.set(doc.name, ruleEntry(doc, doc.name));
  }
  const known = knownNames(all);
  const references = checkReferences(docs, symbols, rules, known, ctx);
  const packages = resolvePackages(symbols.get('Package') ?? new Map(), rules, known, ctx);
  const groups = resolveGroups(symbols, packages, ctx);
  const files = new Set([...ctx.sources.keys()]).size;
  return { files, docs, symbols, rules, packages, groups, references };
}

function ruleEntry(doc: Doc, id: string): RuleEntry {
  const tags = Array.isArray(doc.data.tags) ? doc.data.tags.filter((t): t is string => typeof t === 'string') : [];
  const name = typeof doc.data.name === 'string' ? doc.data.name : undefined;
  return { id, name, path: doc.source.path, tags, doc };
}

/** Names defined anywhere (even in invalid documents), per kind; `rule` holds Sigma ids and names. */
export type KnownNames = ReadonlyMap<KindName | 'rule', ReadonlySet<string>>;

function knownNames(all: readonly Doc[]): KnownNames {
  const known = new Map<KindName | 'rule', Set<string>>();
  const add = (kind: KindName | 'rule', name: string): void => {
    const set = known.get(kind) ?? new Set<string>();
    known.set(kind, set);
    set.add(name);
  };
  for (const doc of all) {
    if (isSigmaKind(doc.kind)) {
      if (doc.name !== undefined) add('rule', doc.name);
      if (typeof doc.data.name === 'string') add('rule', doc.data.name);
    } else if (isKindName(doc.kind) && doc.name !== undefined) add(doc.kind, doc.name);
  }
  return known;
}

/** Checks every name reference of the reference table, plus Sigma correlation/filter rule lists. */
function checkReferences(docs: readonly Doc[], symbols: Map<DocKind, Map<string, Doc>>, rules: Map<string, RuleEntry>, known: KnownNames, ctx: CompileContext): Reference[] {
  const out: Reference[] = [];
  for (const doc of docs) {
    const fields = REFERENCE_FIELDS.filter((f) => f.from === doc.kind);
    for (const field of fields) {
      for (const { value, path } of valuesAt(doc.data, field.path)) {
        const ref = reference(doc, field.to, value, path);
        out.push(ref);
        if (known.get(field.to)?.has(value)) continue;
        if (field.to === 'rule') {
          ctx.report(diag('VG3002', ref.span, { id: value }, hintOf(value, rules.keys())));
        } else {
          const names = symbols.get(field.to)?.keys() ?? [];
          ctx.report(diag('VG3001', ref.span, { kind: field.to, name: value }, hintOf(value, names, `no ${field.to} document defines this name`)));
        }
      }
    }
    if (doc.kind === 'SigmaCorrelation' || doc.kind === 'SigmaFilter') {
      const section = doc.kind === 'SigmaCorrelation' ? 'correlation' : 'filter';
      for (const { value, path } of valuesAt(doc.data, [section, 'rules', '*'])) {
        const ref = reference(doc, 'rule', value, path);
        out.push(ref);
        if (known.get('rule')?.has(value)) continue;
        const candidates = [...rules.values()].flatMap((r) => (r.name ? [r.id, r.name] : [r.id]));
        ctx.report(diag('VG3002', ref.span, { id: value }, hintOf(value, candidates)));
      }
    }
  }
  return out;
}

/**
 * A reference whose span is worked out when first read: a document restored from the compile
 * cache is parsed again only if a diagnostic (or a later reader) needs the position.
 */
function reference(from: Doc, to: Reference['to'], name: string, path: readonly (string | number)[]): Reference {
  let at: Span | undefined;
  return {
    from,
    to,
    name,
    get span(): Span {
      return (at ??= spanOfNode(from.source.path, valueNode(from.doc, path)));
    },
  };
}

/** A did-you-mean hint over candidate names, or a fallback hint. */
export function hintOf(value: string, candidates: Iterable<string>, fallback?: string): { hint?: string } {
  const hint = didYouMean(suggest(value, candidates)) ?? fallback;
  return hint === undefined ? {} : { hint };
}
