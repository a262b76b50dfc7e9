import { diag } from '../diagnostics/diagnostic.js';
import type { CompileContext } from '../context.js';
import type { EffectiveConfig, ResolvedGroup, ResolvedPackage } from '../model.js';
import type { Doc, DocKind } from './classify.js';
import { stringsAt } from './references.js';

type Labels = Readonly<Record<string, string>>;

/**
 * Resolves each HostGroup: its hosts (explicit names plus label-selector matches), its
 * packages (its own list plus packages that name it), its rollout, and the effective
 * configuration its agents get: the union of its packages' content, its services and log
 * sources, and the formats and credentials those need.
 */
export function resolveGroups(symbols: ReadonlyMap<DocKind, ReadonlyMap<string, Doc>>, packages: ReadonlyMap<string, ResolvedPackage>, ctx: CompileContext): Map<string, ResolvedGroup> {
  const table = (kind: DocKind) => symbols.get(kind) ?? new Map<string, Doc>();
  const hosts = table('Host');
  const out = new Map<string, ResolvedGroup>();
  const ruleLists = new Map<string, string[]>();
  for (const [name, doc] of table('HostGroup')) {
    const members = new Set(stringsAt(doc.data, 'spec.hosts.*').filter((h) => hosts.has(h)));
    const selector = (doc.data.spec as Record<string, unknown> | undefined)?.selector;
    if (selector !== undefined) {
      for (const [hostName, host] of hosts) if (matchesSelector(labelsOf(host), selector)) members.add(hostName);
    }
    const packageNames = new Set(stringsAt(doc.data, 'spec.packages.*').filter((p) => packages.has(p)));
    for (const [pkgName, pkg] of packages) if (stringsAt(pkg.doc.data, 'spec.hostGroups.*').includes(name)) packageNames.add(pkgName);
    let rollout = stringsAt(doc.data, 'spec.rollout')[0];
    if (rollout === undefined) {
      for (const [rolloutName, r] of table('Rollout')) if (stringsAt(r.data, 'spec.hostGroups.*').includes(name)) rollout = rolloutName;
    }
    if (members.size === 0) ctx.report(diag('VG3005', doc.nameSpan, { name }));
    const pkgs = [...packageNames].sort().map((p) => packages.get(p)!);
    out.set(name, { name, doc, hosts: [...members].sort(), packages: pkgs.map((p) => p.name), rollout, effective: effective(name, doc, pkgs, symbols, ruleLists) });
  }
  return out;
}

/** The union of what a group's packages, services and log sources bring, each list sorted. */
function effective(group: string, doc: Doc, pkgs: readonly ResolvedPackage[], symbols: ReadonlyMap<DocKind, ReadonlyMap<string, Doc>>, ruleLists: Map<string, string[]>): EffectiveConfig {
  const collect = (field: string) => sorted(pkgs.flatMap((p) => stringsAt(p.doc.data, `spec.${field}.*`)));
  const services = sorted(stringsAt(doc.data, 'spec.services.*'));
  const serviceDocs = services.map((s) => symbols.get('Service')?.get(s)).filter((d): d is Doc => d !== undefined);
  const logSources = sorted([...stringsAt(doc.data, 'spec.logSources.*'), ...serviceDocs.flatMap((s) => stringsAt(s.data, 'spec.httpReceiver.sources.*'))]);
  const sourceDocs = logSources.map((s) => symbols.get('LogSource')?.get(s)).filter((d): d is Doc => d !== undefined);
  const actions = collect('actions');
  const actionDocs = actions.map((a) => symbols.get('Action')?.get(a)).filter((d): d is Doc => d !== undefined);
  const credentials = new Set<string>([
    ...sourceDocs.flatMap((s) => stringsAt(s.data, 'spec.credentials.*.credential')),
    ...serviceDocs.flatMap((s) => [...stringsAt(s.data, 'spec.httpReceiver.tokens.*'), ...stringsAt(s.data, 'spec.sync.credential')]),
    ...actionDocs.flatMap((a) => [...stringsAt(a.data, 'spec.email.credential'), ...stringsAt(a.data, 'spec.http.credential')]),
  ]);
  for (const [name, cred] of symbols.get('Credential') ?? []) if (stringsAt(cred.data, 'spec.hostGroups.*').includes(group)) credentials.add(name);
  // Groups with the same packages get the same rule list: sorted once, and one array (so later
  // stages can recognise it by identity).
  const packageKey = pkgs.map((p) => p.name).join('\0');
  let rules = ruleLists.get(packageKey);
  if (!rules) ruleLists.set(packageKey, (rules = sorted(pkgs.flatMap((p) => p.ruleIds))));
  return {
    rules,
    filters: collect('filters'),
    threatScores: collect('threatScores'),
    chains: collect('chains'),
    anomalies: collect('anomalies'),
    auditChecks: collect('auditChecks'),
    dashboards: collect('dashboards'),
    actions,
    services,
    logSources,
    logFormats: sorted(sourceDocs.flatMap((s) => stringsAt(s.data, 'spec.format'))),
    credentials: sorted(credentials),
  };
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

function labelsOf(doc: Doc): Labels {
  const labels = (doc.data.metadata as { labels?: unknown } | undefined)?.labels;
  return labels !== null && typeof labels === 'object' ? (labels as Labels) : {};
}

/** Kubernetes-style label selector: every matchLabels pair and every matchExpression must hold. */
export function matchesSelector(labels: Labels, selector: unknown): boolean {
  if (selector === null || typeof selector !== 'object') return false;
  const { matchLabels, matchExpressions } = selector as { matchLabels?: Labels; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  for (const [k, v] of Object.entries(matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    if (e.operator === 'In' && !(has && values.includes(value!))) return false;
    if (e.operator === 'NotIn' && has && values.includes(value!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}
