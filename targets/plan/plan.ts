import type { Rule } from '../../runtime/engine/ir.js';
import { ruleText } from './detection-text.js';
import { diffLines, type DiffLine } from './line-diff.js';
import { diffSpecs, stableJson, type FieldChange } from './spec-diff.js';
import { risksOf, type Baseline, type Risk } from './risks.js';

/**
 * The semantic diff behind `vigil plan` and `vigil diff`: two sets of per-group data (what each
 * host group runs at the base and at the head) → a Plan, plain data that the Markdown, JSON and
 * GitHub renderers print. Nothing here reads files or git; the data may come from the Model
 * or from compiled bundle documents, the diff does not care.
 */

/** Hosts of a group per rollout ring. */
export interface RingCount {
  readonly name: string;
  readonly hosts: number;
}

/** A named object of a group and its settings. */
export interface NamedItem {
  readonly name: string;
  readonly spec: unknown;
}

/** What one host group runs, as the plan reads it. */
export interface GroupState {
  readonly group: string;
  readonly hosts: readonly string[];
  /** Hosts per ring, in ring order; absent when no Rollout stages the group. */
  readonly rings?: readonly RingCount[];
  readonly packages: readonly { readonly name: string; readonly version?: string }[];
  readonly rules: readonly { readonly ir: Rule; readonly path: string; readonly tested: boolean }[];
  readonly filters: readonly NamedItem[];
  readonly threatScores: readonly NamedItem[];
  readonly chains: readonly NamedItem[];
  readonly anomalies: readonly NamedItem[];
  readonly auditChecks: readonly NamedItem[];
  readonly services: readonly NamedItem[];
  readonly actions: readonly NamedItem[];
  /** Names (and types) only: a plan never shows a credential's value. */
  readonly credentials: readonly { readonly name: string; readonly type?: string }[];
}

/** The kinds of things a plan compares, in the order it shows them. */
export const SECTIONS = ['rules', 'threatScores', 'chains', 'anomalies', 'filters', 'auditChecks', 'services', 'actions', 'credentials', 'packages'] as const;
/** One section. */
export type Section = (typeof SECTIONS)[number];

/** How an item changed within one group. */
export type GroupChange = 'added' | 'removed' | 'modified';

/** One item of one section, compared across the whole repository, with where the change lands. */
export interface ItemChange {
  readonly section: Section;
  /** Rule id, or the object's name. */
  readonly name: string;
  readonly title?: string;
  /** Rule file at the head (or at the base for a deleted rule), and before a rename. */
  readonly path?: string;
  readonly pathBefore?: string;
  /** new: only at the head; deleted: only at the base; modified: content differs; moved: same content, other groups. */
  readonly status: 'new' | 'deleted' | 'modified' | 'moved';
  /** Changed metadata or settings. */
  readonly fields: readonly FieldChange[];
  /** Detection logic diff (rules only). */
  readonly logic?: readonly DiffLine[];
  readonly tested?: boolean;
  /** The groups it changes in, and how. */
  readonly groups: readonly { readonly group: string; readonly change: GroupChange }[];
  /** Hosts of those groups, in total and per ring. */
  readonly hosts: number;
  readonly rings: readonly RingCount[];
}

/** What changes for one host group. */
export interface GroupPlan {
  readonly group: string;
  readonly status: 'added' | 'removed' | 'changed';
  readonly hosts: number;
  readonly hostsAdded: readonly string[];
  readonly hostsRemoved: readonly string[];
  readonly rings: readonly RingCount[];
  readonly items: readonly { readonly section: Section; readonly name: string; readonly change: GroupChange }[];
}

/** The whole comparison. */
export interface Plan {
  readonly base: string;
  readonly head: string;
  readonly groups: readonly GroupPlan[];
  readonly unchangedGroups: readonly string[];
  readonly changes: readonly ItemChange[];
  readonly risks: readonly Risk[];
}

/** Options of a comparison. */
export interface PlanOptions {
  /** Labels of the two sides (refs), shown in outputs. */
  readonly base: string;
  readonly head: string;
  /** Sample events for the noisy-rule flag. */
  readonly baseline?: Baseline;
}

type Item = { readonly key: string; readonly title?: string; readonly path?: string; readonly tested?: boolean; readonly data: unknown; readonly ir?: Rule };

const textCache = new WeakMap<object, string>();

/** Equality text of an item's data, cached per object (a rule shared by groups is serialised once). */
function textOf(data: unknown): string {
  if (data === null || typeof data !== 'object') return JSON.stringify(data);
  let t = textCache.get(data);
  if (t === undefined) textCache.set(data, (t = stableJson(data)));
  return t;
}

/** A rule without its derived prefilter: what decides whether it changed. */
function ruleData(ir: Rule): unknown {
  if (!('variants' in ir)) return ir;
  const cached = strippedCache.get(ir);
  if (cached) return cached;
  const stripped = { ...ir, variants: ir.variants.map(({ prefilter: _p, ...v }) => v) };
  strippedCache.set(ir, stripped);
  return stripped;
}
const strippedCache = new WeakMap<object, object>();

function itemsOf(g: GroupState, section: Section): Map<string, Item> {
  const out = new Map<string, Item>();
  if (section === 'rules') for (const r of g.rules) out.set(r.ir.id, { key: r.ir.id, title: r.ir.title, path: r.path, tested: r.tested, data: ruleData(r.ir), ir: r.ir });
  else if (section === 'packages') for (const p of g.packages) out.set(p.name, { key: p.name, data: p.version === undefined ? {} : { version: p.version } });
  else if (section === 'credentials') for (const c of g.credentials) out.set(c.name, { key: c.name, data: c.type === undefined ? {} : { type: c.type } });
  else for (const n of g[section]) out.set(n.name, { key: n.name, data: n.spec });
  return out;
}

/** Compares the groups of two sides and returns the plan. */
export function planOf(base: readonly GroupState[], head: readonly GroupState[], options: PlanOptions): Plan {
  const baseBy = new Map(base.map((g) => [g.group, g]));
  const headBy = new Map(head.map((g) => [g.group, g]));
  const names = [...new Set([...baseBy.keys(), ...headBy.keys()])].sort(cmp);
  const groups: GroupPlan[] = [];
  const unchanged: string[] = [];
  /** section/name → the two versions and the groups it changes in. */
  const touched = new Map<string, { section: Section; name: string; before?: Item; after?: Item; groups: { group: string; change: GroupChange; state: GroupState }[] }>();
  for (const name of names) {
    const b = baseBy.get(name);
    const h = headBy.get(name);
    const state = (h ?? b)!;
    const items: GroupPlan['items'][number][] = [];
    for (const section of SECTIONS) {
      const before = b ? itemsOf(b, section) : new Map<string, Item>();
      const after = h ? itemsOf(h, section) : new Map<string, Item>();
      for (const key of [...new Set([...before.keys(), ...after.keys()])].sort(cmp)) {
        const x = before.get(key);
        const y = after.get(key);
        const change: GroupChange | undefined = !x ? 'added' : !y ? 'removed' : textOf(x.data) !== textOf(y.data) ? 'modified' : undefined;
        if (!change) continue;
        items.push({ section, name: key, change });
        const id = `${section}\u0000${key}`;
        let t = touched.get(id);
        if (!t) touched.set(id, (t = { section, name: key, groups: [] }));
        t.before ??= x;
        t.after ??= y;
        t.groups.push({ group: name, change, state });
      }
    }
    const hostsBefore = new Set(b?.hosts ?? []);
    const hostsAfter = new Set(h?.hosts ?? []);
    const hostsAdded = [...hostsAfter].filter((x) => !hostsBefore.has(x)).sort(cmp);
    const hostsRemoved = [...hostsBefore].filter((x) => !hostsAfter.has(x)).sort(cmp);
    const status = !b ? 'added' : !h ? 'removed' : 'changed';
    if (status === 'changed' && items.length === 0 && hostsAdded.length === 0 && hostsRemoved.length === 0) {
      unchanged.push(name);
      continue;
    }
    groups.push({ group: name, status, hosts: state.hosts.length, hostsAdded, hostsRemoved, rings: ringsOf(state), items });
  }
  // Repository-wide versions of each item, so a rule deleted from one group but kept elsewhere is not "deleted".
  const everywhere = (side: readonly GroupState[], section: Section, key: string): Item | undefined => {
    for (const g of side) {
      const it = itemsOf1(g, section, key);
      if (it) return it;
    }
    return undefined;
  };
  const changes: ItemChange[] = [];
  for (const t of [...touched.values()].sort((a, b) => SECTIONS.indexOf(a.section) - SECTIONS.indexOf(b.section) || cmp(a.name, b.name))) {
    const before = t.before ?? everywhere(base, t.section, t.name);
    const after = t.after ?? everywhere(head, t.section, t.name);
    changes.push(itemChange(t.section, t.name, before, after, t.groups));
  }
  const risks = risksOf({ base, head, changes, groups, ...(options.baseline ? { baseline: options.baseline } : {}) });
  return { base: options.base, head: options.head, groups, unchangedGroups: unchanged, changes, risks };
}

/** Looks one item up in a group without building the whole section map. */
function itemsOf1(g: GroupState, section: Section, key: string): Item | undefined {
  if (section === 'rules') {
    const r = g.rules.find((x) => x.ir.id === key);
    return r ? { key, title: r.ir.title, path: r.path, tested: r.tested, data: ruleData(r.ir), ir: r.ir } : undefined;
  }
  return itemsOf(g, section).get(key);
}

function itemChange(section: Section, name: string, before: Item | undefined, after: Item | undefined, groups: { group: string; change: GroupChange; state: GroupState }[]): ItemChange {
  const status: ItemChange['status'] = !before ? 'new' : !after ? 'deleted' : textOf(before.data) !== textOf(after.data) ? 'modified' : 'moved';
  const latest = after ?? before!;
  const reach = reachOf(groups.map((g) => g.state));
  const base = {
    section,
    name,
    ...(latest.title === undefined ? {} : { title: latest.title }),
    ...(latest.path === undefined ? {} : { path: latest.path }),
    ...(before?.path !== undefined && after?.path !== undefined && before.path !== after.path ? { pathBefore: before.path } : {}),
    status,
    ...(latest.tested === undefined ? {} : { tested: latest.tested }),
    groups: groups.map(({ group, change }) => ({ group, change })),
    ...reach,
  };
  if (section === 'rules') {
    const lines = diffLines(before?.ir ? ruleText(before.ir) : [], after?.ir ? ruleText(after.ir) : []);
    const fields = before?.ir && after?.ir ? diffSpecs(ruleMeta(before.ir, before.path), ruleMeta(after.ir, after.path)) : [];
    return { ...base, fields, logic: lines };
  }
  return { ...base, fields: status === 'moved' ? [] : diffSpecs(before?.data, after?.data) };
}

/** The metadata of a rule shown as field changes (its logic is shown as a line diff instead). */
function ruleMeta(ir: Rule, path: string | undefined): Record<string, unknown> {
  return {
    title: ir.title,
    ...(ir.name === undefined ? {} : { name: ir.name }),
    ...('level' in ir && ir.level !== undefined ? { level: ir.level } : {}),
    ...('status' in ir && ir.status !== undefined ? { status: ir.status } : {}),
    ...('tags' in ir && ir.tags !== undefined ? { tags: [...ir.tags].sort().join(', ') } : {}),
    ...(path === undefined ? {} : { file: path }),
  };
}

function ringsOf(g: GroupState): RingCount[] {
  return g.rings ? g.rings.map((r) => ({ ...r })) : [];
}

/** Total hosts of some groups, and per ring name in first-seen ring order. */
function reachOf(states: readonly GroupState[]): { hosts: number; rings: RingCount[] } {
  const rings = new Map<string, number>();
  let hosts = 0;
  for (const s of states) {
    hosts += s.hosts.length;
    for (const r of s.rings ?? []) rings.set(r.name, (rings.get(r.name) ?? 0) + r.hosts);
  }
  return { hosts, rings: [...rings].map(([name, n]) => ({ name, hosts: n })) };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
