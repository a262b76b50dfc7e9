import type { CorrelationRule, DetectionRule } from '../../runtime/engine/ir.js';
import type { AnomalyIR, ThreatScoreIR } from '../../runtime/engine/policy-ir.js';
import type { Model, ResolvedGroup } from '../model.js';
import type { Reporter } from '../reporter.js';

export type { AnomalyIR, ThreatScoreIR } from '../../runtime/engine/policy-ir.js';

/** The policy part of one host group's bundle: filters as detection IR, scores, chains, anomalies. */
export interface PolicyIR {
  readonly filters: readonly DetectionRule[];
  readonly threatScores: readonly ThreatScoreIR[];
  readonly chains: readonly CorrelationRule[];
  readonly anomalies: readonly AnomalyIR[];
}

/** Lowers the filters, threat scores, chains and anomalies a host group gets; plain sorted data, no spans. */
export function lowerPolicies(model: Model, group: ResolvedGroup, reporter: Reporter): PolicyIR {
  void model;
  void group;
  void reporter;
  return { filters: [], threatScores: [], chains: [], anomalies: [] };
}

/** The same for a whole repository regardless of groups (used by `vigil eval --rules DIR`). */
export function lowerAllPolicies(model: Model, reporter: Reporter): PolicyIR {
  void model;
  void reporter;
  return { filters: [], threatScores: [], chains: [], anomalies: [] };
}
