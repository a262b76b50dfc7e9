import { symbolsOf, type Model } from '../model.js';
import { spanOfNode, type Span } from '../span.js';
import type { Doc } from '../stages/classify.js';
import { valuesAt } from '../stages/references.js';
import { valueNode, type NodePath } from '../stages/yaml-nodes.js';

/** One Sigma rule id a ThreatScore or Chain names, with where it is written. */
export interface PolicyRuleRef {
  readonly doc: Doc;
  readonly id: string;
  readonly path: NodePath;
  readonly span: Span;
}

const RULE_PATHS: Readonly<Record<string, readonly string[]>> = {
  ThreatScore: ['spec.scores.*.rule'],
  Chain: ['spec.steps.*.rule', 'spec.notFollowedBy.rule'],
};

/** The span of the value at a path of a document (its start when the path does not resolve). */
export function spanAt(doc: Doc, path: NodePath): Span {
  return spanOfNode(doc.source.path, valueNode(doc.doc, path) ?? doc.doc.contents);
}

/** Every Sigma rule id named by one ThreatScore or Chain document. */
export function ruleRefsOf(doc: Doc): PolicyRuleRef[] {
  const out: PolicyRuleRef[] = [];
  for (const dotted of RULE_PATHS[doc.kind] ?? []) {
    for (const { value, path } of valuesAt(doc.data, dotted.split('.'))) out.push({ doc, id: value, path, span: spanAt(doc, path) });
  }
  return out;
}

/** The ThreatScore and Chain documents of the model, by name order. */
export function scoringDocs(model: Model): Doc[] {
  const sorted = (kind: 'ThreatScore' | 'Chain') => [...symbolsOf(model, kind).entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, d]) => d);
  return [...sorted('ThreatScore'), ...sorted('Chain')];
}
