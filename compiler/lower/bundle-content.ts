import type { Rule } from '../../runtime/engine/ir.js';
import { symbolsOf, type Model, type ResolvedGroup } from '../model.js';
import type { Reporter } from '../reporter.js';
import type { SigmaCompiled } from '../sigma/compile-sigma.js';
import { stringsAt } from '../stages/references.js';
import type { Doc } from '../stages/classify.js';
import type { Attachments } from './attachments.js';
import { lowerCredentials, namedSpecs, plainJson, type NamedSpec } from './documents.js';
import { featuresUsed } from './features-used.js';
import { lowerPolicies, type PolicyIR } from './policies.js';
import { groupRules } from './rules.js';
import { selfTests, type SelfTestVector } from './self-tests.js';

/** The `content` of one group's bundle: plain JSON, every list sorted by id or name, no spans. */
export interface BundleContent {
  /** Sigma IR: the group's detection rules, the correlations and filters they need. */
  readonly rules: readonly Rule[];
  /** Filters, threat scores, chains and anomalies (compiler/lower/policies.ts). */
  readonly policies: PolicyIR;
  readonly auditChecks: readonly NamedSpec[];
  readonly dashboards: readonly NamedSpec[];
  readonly services: readonly NamedSpec[];
  readonly actions: readonly NamedSpec[];
  readonly logSources: readonly NamedSpec[];
  readonly logFormats: readonly NamedSpec[];
  /** Credential name → spec as in the repository: secrets only as age ciphertext or `env:`/`file:` references. */
  readonly credentials: Readonly<Record<string, unknown>>;
  /** The packages deployed, with their versions (what `vigil plan` and auditors read). */
  readonly packages: readonly { readonly name: string; readonly version?: string }[];
  /** The Rollout that stages the group, when one does: its rings decide which hosts take a new bundle when. */
  readonly rollout?: NamedSpec;
  readonly selfTests: readonly SelfTestVector[];
}

/** A group's content and the features it uses. */
export interface GroupContent {
  readonly content: BundleContent;
  readonly features: readonly string[];
}

/** Sigma rule ids that threat scores and chains name (they must run on the agent with them). */
function ruleRefs(policies: PolicyIR): string[] {
  const out: string[] = [];
  for (const s of policies.threatScores) for (const e of s.scores) if (e.rule !== undefined) out.push(e.rule);
  for (const c of policies.chains) {
    out.push(...c.rules.filter((r) => !r.startsWith('filter:')));
    const steps = (c as { steps?: readonly { refs: readonly string[] }[]; notFollowedBy?: { refs: readonly string[] } }).steps ?? [];
    const tail = (c as { notFollowedBy?: { refs: readonly string[] } }).notFollowedBy;
    for (const step of [...steps, ...(tail ? [tail] : [])]) out.push(...step.refs.filter((r) => !r.startsWith('filter:')));
  }
  return out;
}

/** Actions that threat scores, chains and anomalies name, beside the packages' own. */
function actionRefs(policies: PolicyIR): string[] {
  return [...policies.threatScores, ...policies.chains, ...policies.anomalies].flatMap((p) => [...((p as { actions?: readonly string[] }).actions ?? [])]);
}

/**
 * Lowers what one host group's agents get into bundle content: the group's effective
 * configuration (compiler/stages/resolve-groups.ts) closed over what it needs to run: rules the
 * policies name, actions they fire and the credentials those use, audit checks the dashboards
 * show, the formats the log sources read.
 */
export function groupContent(model: Model, sigma: ReadonlyMap<Doc, SigmaCompiled>, group: ResolvedGroup, attachments: Attachments, reporter: Reporter): GroupContent {
  const eff = group.effective;
  const policies = plainJson(lowerPolicies(model, group, reporter));
  const rules = groupRules(model, sigma, eff.rules, ruleRefs(policies));
  const actionNames = [...new Set([...eff.actions, ...actionRefs(policies)])].sort();
  const actions = namedSpecs(model, 'Action', actionNames);
  const actionDocs = actionNames.map((a) => symbolsOf(model, 'Action').get(a)).filter((d): d is Doc => d !== undefined);
  const credentialNames = [...eff.credentials, ...actionDocs.flatMap((a) => [...stringsAt(a.data, 'spec.email.credential'), ...stringsAt(a.data, 'spec.http.credential')])];
  const { credentials, sealed } = lowerCredentials(model, credentialNames, reporter);
  const dashboards = namedSpecs(model, 'Dashboard', eff.dashboards);
  const tileChecks = eff.dashboards.flatMap((d) => {
    const doc = symbolsOf(model, 'Dashboard').get(d);
    return doc ? stringsAt(doc.data, 'spec.tiles.*.checks.*') : [];
  });
  const auditChecks = namedSpecs(model, 'AuditCheck', [...eff.auditChecks, ...tileChecks]);
  const services = namedSpecs(model, 'Service', eff.services);
  const logSources = namedSpecs(model, 'LogSource', eff.logSources);
  const logFormats = namedSpecs(model, 'LogFormat', eff.logFormats);
  const packages = group.packages.map((name) => {
    const version = stringsAt(model.packages.get(name)?.doc.data, 'spec.version')[0];
    return version === undefined ? { name } : { name, version };
  });
  const rollout = group.rollout === undefined ? [] : namedSpecs(model, 'Rollout', [group.rollout], ['hostGroups']);
  const tests = selfTests(model, group, rules, attachments, reporter);
  const content: BundleContent = {
    rules, policies, auditChecks, dashboards, services, actions, logSources, logFormats, credentials, packages,
    ...(rollout[0] ? { rollout: rollout[0] } : {}),
    selfTests: tests,
  };
  const features = featuresUsed({ rules, policies, auditChecks, dashboards, services, actions, logSources, sealedCredentials: sealed, selfTests: tests.length });
  return { content, features };
}
