import type { Document } from 'yaml';
import { isKindName, KIND_NAMES, type KindName } from '../../schema/generated/kinds.js';
import { diag } from '../diagnostics/diagnostic.js';
import { didYouMean, suggest } from '../diagnostics/suggest.js';
import { spanOfNode, type Span } from '../span.js';
import type { Source } from '../source.js';
import type { CompileContext } from '../context.js';
import type { YamlDoc } from './parse.js';
import { valueNode, keyNode } from './yaml-nodes.js';

/** What a document is: a vigil/v1 kind, one of the three Sigma rule types, or a rule-tests sidecar. */
export type DocKind = KindName | SigmaKind | 'RuleTests';
/** The Sigma document types, recognised by shape (Sigma has no apiVersion). */
export type SigmaKind = 'SigmaRule' | 'SigmaCorrelation' | 'SigmaFilter';

/** One classified document. */
export interface Doc {
  readonly source: Source;
  readonly doc: Document.Parsed;
  readonly index: number;
  /** Plain data of the document (a mapping). */
  readonly data: Readonly<Record<string, unknown>>;
  readonly kind: DocKind;
  /** `metadata.name` for vigil/v1 kinds, `id` for Sigma documents, when they are strings. */
  readonly name: string | undefined;
  /** Where to point when talking about the document as a whole (its name, else its start). */
  readonly nameSpan: Span;
}

/** Whether a kind is a Sigma document type. */
export function isSigmaKind(kind: DocKind): kind is SigmaKind {
  return kind === 'SigmaRule' || kind === 'SigmaCorrelation' || kind === 'SigmaFilter';
}

/** How a kind is named in messages (`ThreatScore`, `Sigma rule`). */
export function kindLabel(kind: DocKind): string {
  if (kind === 'SigmaRule') return 'Sigma rule';
  if (kind === 'SigmaCorrelation') return 'Sigma correlation';
  if (kind === 'SigmaFilter') return 'Sigma filter';
  if (kind === 'RuleTests') return 'rule tests';
  return kind;
}

const RULE_TESTS_FILE = /\.tests\.ya?ml$/i;

/**
 * Decides what each document is. vigil/v1 documents by apiVersion and kind; Sigma documents
 * by shape (`correlation`, `filter`, or `detection`/`logsource`); rule-tests sidecars by
 * file name or a `rule` id with a `tests` list. Anything else is reported and dropped.
 */
export function classify(yamlDocs: readonly YamlDoc[], ctx: CompileContext): Doc[] {
  const out: Doc[] = [];
  for (const y of yamlDocs) {
    const doc = classifyOne(y, ctx);
    if (doc) out.push(doc);
  }
  return out;
}

function classifyOne(y: YamlDoc, ctx: CompileContext): Doc | undefined {
  const file = y.source.path;
  const data = y.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    ctx.report(diag('VG2010', spanOfNode(file, y.doc.contents), {}, { hint: 'a policy document is a mapping with `apiVersion`, `kind`, `metadata` and `spec`, or a Sigma rule' }));
    return undefined;
  }
  const record = data as Record<string, unknown>;
  const kind = kindOf(y, record, ctx);
  if (kind === undefined) return undefined;
  const sigma = isSigmaKind(kind) || kind === 'RuleTests';
  const namePath = sigma ? ['id'] : ['metadata', 'name'];
  const raw = sigma ? record.id : (record.metadata as Record<string, unknown> | undefined)?.name;
  const name = typeof raw === 'string' ? raw : undefined;
  const nameNode = valueNode(y.doc, namePath);
  const nameSpan = spanOfNode(file, nameNode ?? firstKey(y.doc) ?? y.doc.contents);
  return { source: y.source, doc: y.doc, index: y.index, data: record, kind, name, nameSpan };
}

function kindOf(y: YamlDoc, record: Record<string, unknown>, ctx: CompileContext): DocKind | undefined {
  const file = y.source.path;
  if ('apiVersion' in record) {
    if (record.apiVersion !== 'vigil/v1') {
      ctx.report(diag('VG2009', spanOfNode(file, valueNode(y.doc, ['apiVersion'])), { version: String(record.apiVersion) }));
      return undefined;
    }
    const kind = record.kind;
    if (kind === undefined) {
      ctx.report(diag('VG2002', spanOfNode(file, keyNode(y.doc, ['apiVersion'])), { field: 'kind', where: 'the document' }, { hint: `one of: ${KIND_NAMES.join(', ')}` }));
      return undefined;
    }
    if (!isKindName(kind)) {
      const hint = didYouMean(suggest(String(kind), KIND_NAMES)) ?? `known kinds: ${KIND_NAMES.join(', ')}`;
      ctx.report(diag('VG2008', spanOfNode(file, valueNode(y.doc, ['kind'])), { kind: String(kind) }, { hint }));
      return undefined;
    }
    return kind;
  }
  if (RULE_TESTS_FILE.test(file) || (Array.isArray(record.tests) && 'rule' in record)) return 'RuleTests';
  if ('correlation' in record) return 'SigmaCorrelation';
  if ('filter' in record && !('detection' in record)) return 'SigmaFilter';
  if ('detection' in record || 'logsource' in record) return 'SigmaRule';
  if ('kind' in record || 'spec' in record || 'metadata' in record) {
    ctx.report(diag('VG2002', spanOfNode(file, firstKey(y.doc) ?? y.doc.contents), { field: 'apiVersion', where: 'the document' }, { hint: 'add `apiVersion: vigil/v1`' }));
    return undefined;
  }
  ctx.report(diag('VG2010', spanOfNode(file, firstKey(y.doc) ?? y.doc.contents)));
  return undefined;
}

/** The first key node of the document's top-level mapping. */
function firstKey(doc: Document.Parsed): { range?: [number, number, number] | null } | undefined {
  const contents = doc.contents as { items?: { key?: unknown }[] } | null;
  const key = contents?.items?.[0]?.key;
  return key && typeof key === 'object' ? (key as { range?: [number, number, number] }) : undefined;
}
