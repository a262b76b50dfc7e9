import type { KindName } from '../schema/generated/kinds.js';
import type { Span } from './span.js';
import type { Doc, DocKind } from './stages/classify.js';

/** A Sigma rule, correlation or filter known to the repository, by id. */
export interface RuleEntry {
  readonly id: string;
  /** Sigma `name` (correlations may refer to rules by it). */
  readonly name: string | undefined;
  /** Path of the rule file, relative to the policy directory. */
  readonly path: string;
  readonly tags: readonly string[];
  readonly doc: Doc;
}

/** A Package with its rule selectors expanded to rule ids. */
export interface ResolvedPackage {
  readonly name: string;
  readonly doc: Doc;
  /** Sorted ids of the Sigma rules the package selects. */
  readonly ruleIds: readonly string[];
}

/** What one host group's agents receive: every name sorted, ready for lowering to bundles. */
export interface EffectiveConfig {
  readonly rules: readonly string[];
  readonly filters: readonly string[];
  readonly threatScores: readonly string[];
  readonly chains: readonly string[];
  readonly anomalies: readonly string[];
  readonly auditChecks: readonly string[];
  readonly dashboards: readonly string[];
  readonly actions: readonly string[];
  readonly services: readonly string[];
  readonly logSources: readonly string[];
  readonly logFormats: readonly string[];
  readonly credentials: readonly string[];
}

/** A HostGroup with its members and content resolved. */
export interface ResolvedGroup {
  readonly name: string;
  readonly doc: Doc;
  /** Sorted Host names: explicit ones plus those the label selector matches. */
  readonly hosts: readonly string[];
  /** Sorted Package names: the group's own list plus packages that name the group. */
  readonly packages: readonly string[];
  readonly rollout: string | undefined;
  readonly effective: EffectiveConfig;
}

/** One resolved name reference, kept for checks and for `vigil plan`-style explanations. */
export interface Reference {
  readonly from: Doc;
  readonly to: KindName | 'rule';
  readonly name: string;
  readonly span: Span;
}

/** The resolved policy repository: plain data plus the documents (and so the spans) behind it. */
export interface Model {
  /** Number of policy files read. */
  readonly files: number;
  /** Every document that passed validation, in file order. */
  readonly docs: readonly Doc[];
  /** Symbol tables per kind (first definition wins; duplicates are reported by a check). */
  readonly symbols: ReadonlyMap<DocKind, ReadonlyMap<string, Doc>>;
  /** Sigma rules, correlations and filters by id. */
  readonly rules: ReadonlyMap<string, RuleEntry>;
  readonly packages: ReadonlyMap<string, ResolvedPackage>;
  readonly groups: ReadonlyMap<string, ResolvedGroup>;
  readonly references: readonly Reference[];
}

/** The documents of one kind in a model, by name. */
export function symbolsOf(model: Model, kind: DocKind): ReadonlyMap<string, Doc> {
  return model.symbols.get(kind) ?? new Map();
}
