import { parse as parseYaml } from 'yaml';
import type { Rule } from '../../runtime/engine/ir.js';
import { canonicalBytes, sha256Hex } from '../../runtime/bundle/canonical.js';
import { packBundle } from '../../runtime/bundle/pack-rules.js';
import type { SigmaCompiled } from '../sigma/compile-sigma.js';
import type { Source } from '../source.js';
import type { Model, ResolvedGroup } from '../model.js';
import type { Doc, DocKind } from '../stages/classify.js';
import type { LoweredBundle } from '../stages/lower.js';

/**
 * What each host group runs at one ref, as plain JSON data: the input of `vigil plan`, `vigil
 * diff` and `vigil history`. Content comes from the group's bundle document (what agents get)
 * when the lower stage ran, else from the Model and the Sigma IR; hosts and rule-test coverage
 * always come from the Model. Credentials appear by name and type only: no value, reference or
 * sealed blob ever enters it.
 */

/** A named policy object and its settings, as written in its `spec`. */
export interface NamedSpec {
  readonly name: string;
  readonly spec: unknown;
}

/** One Sigma rule a group runs. */
export interface RuleSnapshot {
  /** The compiled detection IR (plain JSON). */
  readonly ir: Rule;
  /** Repository-relative path of the rule file. */
  readonly path: string;
  /** Whether any rule test (sidecar `.tests.yml` or Package `spec.tests`) exercises it. */
  readonly tested: boolean;
}

/** A Rollout ring, as data. */
export interface RingSpec {
  readonly name: string;
  readonly hosts?: readonly string[];
  readonly percentage?: number;
}

/** What one host group runs. */
export interface GroupSnapshot {
  readonly group: string;
  readonly hosts: readonly string[];
  readonly rollout?: { readonly name: string; readonly rings: readonly RingSpec[] };
  readonly packages: readonly { readonly name: string; readonly version?: string }[];
  /** Sorted by rule id. */
  readonly rules: readonly RuleSnapshot[];
  readonly filters: readonly NamedSpec[];
  readonly threatScores: readonly NamedSpec[];
  readonly chains: readonly NamedSpec[];
  readonly anomalies: readonly NamedSpec[];
  readonly auditChecks: readonly NamedSpec[];
  readonly services: readonly NamedSpec[];
  readonly actions: readonly NamedSpec[];
  /** Names and types only. */
  readonly credentials: readonly { readonly name: string; readonly type?: string }[];
  /** `sha256:` of the group's canonical bundle document, the digest `vigil compile` publishes (when asked for). */
  readonly bundleDigest?: string;
}

/** Every group of a repository at one ref, sorted by group name. */
export interface PolicySnapshot {
  readonly groups: readonly GroupSnapshot[];
}

/** Builds the snapshot of a compiled repository; `sources` are read for rule-test sidecars. */
export function snapshotOf(model: Model, sigma: ReadonlyMap<Doc, SigmaCompiled>, sources: ReadonlyMap<string, Source>, bundles?: readonly LoweredBundle[], options: { digests?: boolean } = {}): PolicySnapshot {
  const irById = new Map<string, Rule>();
  for (const compiled of sigma.values()) irById.set(compiled.id, compiled.ir);
  const tested = testedRules(model, sources, irById);
  const rules = new Map<string, RuleSnapshot>();
  for (const [id, entry] of model.rules) {
    const ir = irById.get(id);
    if (ir) rules.set(id, { ir, path: entry.path, tested: tested.has(id) });
  }
  const byGroup = new Map((bundles ?? []).map((b) => [b.group, b]));
  const groups = [...model.groups.values()].sort((a, b) => cmp(a.name, b.name)).map((g) => {
    const bundle = byGroup.get(g.name);
    if (!bundle) return groupOf(model, g, rules);
    const snapshot = fromBundle(model, g, bundle, tested);
    return options.digests ? { ...snapshot, bundleDigest: `sha256:${sha256Hex(canonicalBytes(packBundle(bundle.document).document))}` } : snapshot;
  });
  return { groups };
}

/** A group as its bundle document has it (the IR agents run), plus hosts from the Model. */
function fromBundle(model: Model, group: ResolvedGroup, bundle: LoweredBundle, tested: ReadonlySet<string>): GroupSnapshot {
  const c = bundle.document.content;
  const named = (items: readonly { readonly id: string }[]): NamedSpec[] => items.map((x) => ({ name: x.id, spec: x }));
  const credentials = Object.keys(c.credentials).sort().map((name) => {
    const type = (c.credentials[name] as { type?: unknown } | undefined)?.type;
    return typeof type === 'string' ? { name, type } : { name };
  });
  return {
    group: group.name,
    hosts: [...group.hosts],
    ...(c.rollout ? { rollout: { name: c.rollout.name, rings: ringsOf(c.rollout.spec) } } : {}),
    packages: c.packages.map((p) => ({ ...p })),
    rules: c.rules.map((ir) => ({ ir, path: model.rules.get(ir.id)?.path ?? ir.attribution?.source ?? '', tested: tested.has(ir.id) })),
    filters: named(c.policies.filters),
    threatScores: named(c.policies.threatScores),
    chains: named(c.policies.chains),
    anomalies: named(c.policies.anomalies),
    auditChecks: c.auditChecks.map((x) => ({ name: x.name, spec: x.spec })),
    services: c.services.map((x) => ({ name: x.name, spec: x.spec })),
    actions: c.actions.map((x) => ({ name: x.name, spec: x.spec })),
    credentials,
  };
}

function groupOf(model: Model, group: ResolvedGroup, rules: ReadonlyMap<string, RuleSnapshot>): GroupSnapshot {
  const e = group.effective;
  const specs = (kind: DocKind, names: readonly string[]): NamedSpec[] =>
    names.flatMap((name) => {
      const doc = model.symbols.get(kind)?.get(name);
      return doc ? [{ name, spec: plain(doc.data.spec) }] : [];
    });
  const rolloutDoc = group.rollout === undefined ? undefined : model.symbols.get('Rollout')?.get(group.rollout);
  const rollout = rolloutDoc ? { name: group.rollout!, rings: ringsOf(rolloutDoc.data.spec) } : undefined;
  const packages = group.packages.map((name) => {
    const version = (model.packages.get(name)?.doc.data.spec as { version?: unknown } | undefined)?.version;
    return typeof version === 'string' ? { name, version } : { name };
  });
  const credentials = e.credentials.map((name) => {
    const type = (model.symbols.get('Credential')?.get(name)?.data.spec as { type?: unknown } | undefined)?.type;
    return typeof type === 'string' ? { name, type } : { name };
  });
  return {
    group: group.name,
    hosts: [...group.hosts],
    ...(rollout ? { rollout } : {}),
    packages,
    rules: e.rules.flatMap((id) => (rules.has(id) ? [rules.get(id)!] : [])).sort((a, b) => cmp(a.ir.id, b.ir.id)),
    filters: specs('Filter', e.filters),
    threatScores: specs('ThreatScore', e.threatScores),
    chains: specs('Chain', e.chains),
    anomalies: specs('Anomaly', e.anomalies),
    auditChecks: specs('AuditCheck', e.auditChecks),
    services: specs('Service', e.services),
    actions: specs('Action', e.actions),
    credentials,
  };
}

function ringsOf(spec: unknown): RingSpec[] {
  const rings = (spec as { rings?: unknown } | undefined)?.rings;
  if (!Array.isArray(rings)) return [];
  return rings.flatMap((r: Record<string, unknown>) => {
    if (typeof r?.name !== 'string') return [];
    const hosts = Array.isArray(r.hosts) ? r.hosts.filter((h): h is string => typeof h === 'string') : undefined;
    return [{ name: r.name, ...(hosts ? { hosts } : {}), ...(typeof r.percentage === 'number' ? { percentage: r.percentage } : {}) }];
  });
}

/** Rule ids exercised by a rule-tests sidecar or by a Package's `spec.tests`. */
function testedRules(model: Model, sources: ReadonlyMap<string, Source>, irById: ReadonlyMap<string, Rule>): Set<string> {
  const byName = new Map<string, string>();
  const byPath = new Map<string, string>();
  for (const ir of irById.values()) {
    if (ir.name !== undefined) byName.set(ir.name, ir.id);
    if (ir.attribution?.source !== undefined) byPath.set(ir.attribution.source, ir.id);
  }
  const out = new Set<string>();
  const mark = (ref: unknown) => {
    if (typeof ref !== 'string') return;
    const id = irById.has(ref) ? ref : byName.get(ref);
    if (id !== undefined) out.add(id);
  };
  for (const pkg of model.packages.values()) {
    const tests = (pkg.doc.data.spec as { tests?: unknown } | undefined)?.tests;
    if (Array.isArray(tests)) for (const t of tests) mark((t as { rule?: unknown } | null)?.rule);
  }
  for (const [path, source] of sources) {
    if (!/\.tests\.ya?ml$/i.test(path)) continue;
    let data: unknown;
    try {
      data = parseYaml(source.text, { maxAliasCount: 0 });
    } catch {
      continue;
    }
    const rule = (data as { rule?: unknown } | null)?.rule;
    if (rule !== undefined) mark(rule);
    else {
      const base = path.replace(/\.tests\.ya?ml$/i, '');
      const id = byPath.get(`${base}.yml`) ?? byPath.get(`${base}.yaml`);
      if (id !== undefined) out.add(id);
    }
  }
  return out;
}

/** A JSON copy with object keys sorted, so equal settings compare equal as text. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = plain(v);
    }
    return out;
  }
  return value;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
