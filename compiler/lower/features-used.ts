import type { Expr, Rule, Variant } from '../../runtime/engine/ir.js';
import type { PolicyIR } from './policies.js';
import type { NamedSpec } from './documents.js';
import { isFrozenJson } from '../../runtime/bundle/canonical.js';

/** What a bundle's content consists of, as far as features go. */
export interface FeatureInput {
  readonly rules: readonly Rule[];
  readonly policies: PolicyIR;
  readonly auditChecks: readonly NamedSpec[];
  readonly dashboards: readonly NamedSpec[];
  readonly services: readonly NamedSpec[];
  readonly actions: readonly NamedSpec[];
  readonly logSources: readonly NamedSpec[];
  readonly sealedCredentials: boolean;
  readonly selfTests: number;
}

const TEST_FEATURES: Readonly<Record<string, string>> = { re: 'sigma.re', cidr: 'sigma.cidr', fieldref: 'sigma.fieldref', date: 'sigma.date' };

/** Adds the features an expression uses. */
function exprFeatures(e: Expr, out: Set<string>): void {
  switch (e.op) {
    case 'and':
    case 'or':
      for (const a of e.args) exprFeatures(a, out);
      return;
    case 'not':
      exprFeatures(e.arg, out);
      return;
    case 'keyword':
    case 'field':
      if (e.op === 'keyword') out.add('sigma.keyword');
      for (const t of e.tests) if (TEST_FEATURES[t.t] !== undefined) out.add(TEST_FEATURES[t.t] as string);
      return;
    default:
      return;
  }
}

function variantFeatures(variants: readonly Variant[], out: Set<string>): void {
  for (const v of variants) exprFeatures(v.condition, out);
}

/** The type of a named spec (`spec.type`), for `service.<type>`-style features. */
function typed(prefix: string, specs: readonly NamedSpec[], out: Set<string>): void {
  for (const s of specs) if (typeof s.spec.type === 'string') out.add(`${prefix}.${s.spec.type}`);
}

/** Features of frozen rules, by identity: a rule shared by many groups is walked once. */
const ruleFeatureMemo = new WeakMap<Rule, readonly string[]>();

/**
 * Records the features of a frozen rule computed earlier from the same IR (the compile cache
 * stores them, so a cached rule's variants need not be parsed only to find its features).
 */
export function knownRuleFeatures(r: Rule, features: readonly string[]): void {
  if (isFrozenJson(r)) ruleFeatureMemo.set(r, features);
}

/** The features one Sigma rule uses. */
export function ruleFeatures(r: Rule): readonly string[] {
  const known = ruleFeatureMemo.get(r);
  if (known) return known;
  const out = new Set<string>();
  if (r.type === 'correlation') out.add(`correlation.${r.correlation.replace(/_/g, '-')}`);
  else {
    if (r.type === 'filter') out.add('sigma.filter');
    variantFeatures(r.variants, out);
  }
  const list = [...out];
  if (isFrozenJson(r)) ruleFeatureMemo.set(r, list);
  return list;
}

/** Features of frozen rule lists, by identity: groups with the same packages share one list. */
const listFeatureMemo = new WeakMap<readonly Rule[], readonly string[]>();

/** The features a list of rules uses. */
function rulesFeatures(rules: readonly Rule[]): readonly string[] {
  const known = listFeatureMemo.get(rules);
  if (known) return known;
  const out = new Set<string>();
  for (const r of rules) for (const f of ruleFeatures(r)) out.add(f);
  const list = [...out];
  if (isFrozenJson(rules)) listFeatureMemo.set(rules, list);
  return list;
}

/**
 * Every optional feature a bundle uses, sorted: derived from the content itself, never declared
 * by hand, so an agent's capability check sees exactly what it would have to run.
 */
export function featuresUsed(input: FeatureInput): string[] {
  const out = new Set<string>(rulesFeatures(input.rules));
  const p = input.policies;
  if (p.filters.length > 0) out.add('policy.filter');
  for (const f of p.filters) variantFeatures(f.variants, out);
  if (p.threatScores.length > 0) out.add('threat-score');
  for (const c of p.chains) {
    out.add('chain');
    if ((c as { notFollowedBy?: unknown }).notFollowedBy !== undefined) out.add('chain.not-followed-by');
  }
  for (const a of p.anomalies) {
    out.add('anomaly');
    if (a.suppressOnCollector) out.add('anomaly.collector-suppression');
  }
  if (input.auditChecks.length > 0) out.add('audit-check');
  if (input.dashboards.length > 0) out.add('dashboard');
  typed('service', input.services, out);
  typed('action', input.actions, out);
  typed('log-source', input.logSources, out);
  if (input.sealedCredentials) out.add('credential.sealed');
  if (input.selfTests > 0) out.add('self-test');
  return [...out].sort();
}
