import type { CorrelationRule, DetectionRule } from '../../runtime/engine/ir.js';
import type { AnomalyIR, ThreatScoreIR } from '../../runtime/engine/policy-ir.js';
import { symbolsOf, type Model, type ResolvedGroup } from '../model.js';
import type { Reporter } from '../reporter.js';
import type { Doc } from '../stages/classify.js';
import { stringsAt } from '../stages/references.js';
import { lowerAnomaly } from './anomaly.js';
import { lowerChain } from './chain.js';
import { lowerFilter } from './filter.js';
import { lowerThreatScore } from './threat-score.js';

export type { AnomalyIR, ChainRule, ThreatScoreIR } from '../../runtime/engine/policy-ir.js';

/** The policy part of one host group's bundle: filters as detection IR, scores, chains, anomalies. */
export interface PolicyIR {
  readonly filters: readonly DetectionRule[];
  readonly threatScores: readonly ThreatScoreIR[];
  readonly chains: readonly CorrelationRule[];
  readonly anomalies: readonly AnomalyIR[];
}

/** Names of the policies to lower, per kind. */
interface Selection {
  readonly filters: readonly string[];
  readonly threatScores: readonly string[];
  readonly chains: readonly string[];
  readonly anomalies: readonly string[];
}

/** Filters a threat score, chain or anomaly document refers to (they must travel with it). */
const FILTER_REFS: Readonly<Record<string, readonly string[]>> = {
  ThreatScore: ['spec.scores.*.filter'],
  Chain: ['spec.steps.*.filter', 'spec.notFollowedBy.filter'],
  Anomaly: ['spec.filter'],
};

function docsOf(model: Model, kind: 'Filter' | 'ThreatScore' | 'Chain' | 'Anomaly', names: readonly string[]): Doc[] {
  const table = symbolsOf(model, kind);
  return [...new Set(names)].sort().flatMap((n) => {
    const doc = table.get(n);
    return doc ? [doc] : [];
  });
}

function lowerSelection(model: Model, sel: Selection): PolicyIR {
  const scores = docsOf(model, 'ThreatScore', sel.threatScores);
  const chains = docsOf(model, 'Chain', sel.chains);
  const anomalies = docsOf(model, 'Anomaly', sel.anomalies);
  // A filter that only a score, chain or anomaly names still has to run on the agent.
  const needed = [...sel.filters];
  for (const doc of [...scores, ...chains, ...anomalies]) for (const p of FILTER_REFS[doc.kind] ?? []) needed.push(...stringsAt(doc.data, p));
  return {
    filters: docsOf(model, 'Filter', needed).map(lowerFilter),
    threatScores: scores.map(lowerThreatScore),
    chains: chains.map(lowerChain),
    anomalies: anomalies.map(lowerAnomaly),
  };
}

/** Lowers the filters, threat scores, chains and anomalies a host group gets; plain sorted data, no spans. */
export function lowerPolicies(model: Model, group: ResolvedGroup, reporter: Reporter): PolicyIR {
  void reporter;
  return lowerSelection(model, group.effective);
}

/** The same for a whole repository regardless of groups (used by `vigil eval --rules DIR`). */
export function lowerAllPolicies(model: Model, reporter: Reporter): PolicyIR {
  void reporter;
  const names = (kind: 'Filter' | 'ThreatScore' | 'Chain' | 'Anomaly') => [...symbolsOf(model, kind).keys()];
  return lowerSelection(model, { filters: names('Filter'), threatScores: names('ThreatScore'), chains: names('Chain'), anomalies: names('Anomaly') });
}
