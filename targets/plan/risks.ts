import type { Expr, Rule, Test } from '../../runtime/engine/ir.js';
import { createEngine } from '../../runtime/engine/engine.js';
import type { GroupPlan, GroupState, ItemChange } from './plan.js';

/**
 * Risk flags of a plan: the changes a reviewer should look at twice. Each flag names the
 * rule or object, the groups it reaches and why, in one sentence.
 */

/** The kinds of risk a plan flags. */
export type RiskKind = 'noisy' | 'always-true' | 'never-true' | 'detection-removed' | 'detection-disabled' | 'threshold-lowered' | 'untested';

/** One flag. */
export interface Risk {
  readonly kind: RiskKind;
  readonly severity: 'warning' | 'notice';
  readonly section: ItemChange['section'];
  readonly name: string;
  readonly title?: string;
  /** File to annotate (rule files only). */
  readonly path?: string;
  readonly message: string;
  readonly groups: readonly string[];
}

/** Sample events for the noisy flag. */
export interface Baseline {
  /** Where the sample came from, for the message. */
  readonly label: string;
  readonly events: readonly unknown[];
  /** A rule matching more than this share of the events is noisy (default 0.5). */
  readonly share?: number;
}

/** A threshold is lowered sharply when the new one is at most this share of the old one. */
const SHARP_DROP = 0.5;
const DISABLED_STATUS = new Set(['deprecated', 'unsupported']);

/** Computes every risk flag of a set of changes. */
export function risksOf(input: { base: readonly GroupState[]; head: readonly GroupState[]; changes: readonly ItemChange[]; groups: readonly GroupPlan[]; baseline?: Baseline }): Risk[] {
  const out: Risk[] = [];
  const headRule = new Map<string, Rule>();
  const baseRule = new Map<string, Rule>();
  for (const g of input.head) for (const r of g.rules) headRule.set(r.ir.id, r.ir);
  for (const g of input.base) for (const r of g.rules) baseRule.set(r.ir.id, r.ir);
  const noisyCandidates: { change: ItemChange; ir: Rule }[] = [];
  for (const c of input.changes) {
    const groupsWith = (...kinds: string[]) => c.groups.filter((g) => kinds.includes(g.change)).map((g) => g.group);
    const flag = (kind: RiskKind, severity: Risk['severity'], message: string, groups = c.groups.map((g) => g.group)) =>
      out.push({ kind, severity, section: c.section, name: c.name, ...(c.title === undefined ? {} : { title: c.title }), ...(c.path === undefined ? {} : { path: c.path }), message, groups });
    if (c.section === 'rules') {
      const removedFrom = groupsWith('removed');
      if (removedFrom.length > 0) flag('detection-removed', 'warning', c.status === 'deleted' ? 'rule deleted: its detection is no longer deployed' : 'rule no longer deployed to these groups', removedFrom);
      const ir = headRule.get(c.name);
      if (!ir) continue;
      const old = baseRule.get(c.name);
      const active = groupsWith('added', 'modified');
      if (active.length === 0) continue;
      const status = 'status' in ir ? ir.status : undefined;
      const oldStatus = old && 'status' in old ? old.status : undefined;
      if (status !== undefined && DISABLED_STATUS.has(status) && status !== oldStatus) flag('detection-disabled', 'warning', `rule status is now \`${status}\``, active);
      if (ir.type !== 'correlation') {
        const verdict = constantOf(ir.variants.map((v) => v.condition), ir.variants.length === 0);
        if (verdict === false) flag('never-true', 'warning', 'condition can never be true: the rule never matches', active);
        if (verdict === true) flag('always-true', 'warning', 'condition is always true: the rule matches every event in its log source', active);
        if (ir.type === 'detection') noisyCandidates.push({ change: c, ir });
      } else if (old && old.type === 'correlation') {
        const before = old.condition?.gte ?? old.condition?.gt;
        const after = ir.condition?.gte ?? ir.condition?.gt;
        if (before !== undefined && after !== undefined && before > 0 && after <= before * SHARP_DROP) flag('threshold-lowered', 'warning', `correlation threshold lowered from ${before} to ${after}`, active);
      }
      if (c.tested === false && (c.status === 'new' || c.status === 'modified')) flag('untested', 'notice', 'no rule test exercises this rule', active);
    } else if (c.section === 'threatScores' && c.status === 'modified') {
      const t = c.fields.find((f) => f.path === 'threshold');
      const before = Number(t?.before);
      const after = Number(t?.after);
      if (t && before > 0 && after <= before * SHARP_DROP) flag('threshold-lowered', 'warning', `threat score threshold lowered from ${before} to ${after}`);
    }
  }
  for (const g of input.groups) {
    if (g.status !== 'removed') continue;
    const rules = g.items.filter((i) => i.section === 'rules').length;
    out.push({ kind: 'detection-removed', severity: 'warning', section: 'rules', name: g.group, message: `host group removed: its ${rules} rule${rules === 1 ? '' : 's'} no longer run on its ${g.hosts} host${g.hosts === 1 ? '' : 's'}`, groups: [g.group] });
  }
  if (input.baseline && input.baseline.events.length > 0) out.push(...noisy(noisyCandidates, input.baseline));
  return out.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const KIND_ORDER: readonly RiskKind[] = ['detection-removed', 'detection-disabled', 'never-true', 'always-true', 'noisy', 'threshold-lowered', 'untested'];

/** Runs the added and modified rules over the baseline sample; flags those matching most of it. */
function noisy(candidates: readonly { change: ItemChange; ir: Rule }[], baseline: Baseline): Risk[] {
  if (candidates.length === 0) return [];
  const counts = new Map<string, number>();
  const engine = createEngine(candidates.map((c) => c.ir));
  baseline.events.forEach((event, i) => {
    engine.process(event, i, (alert) => {
      if (alert.kind === 'detection') counts.set(alert.rule.id, (counts.get(alert.rule.id) ?? 0) + 1);
    });
  });
  const total = baseline.events.length;
  const share = baseline.share ?? 0.5;
  const out: Risk[] = [];
  for (const { change, ir } of candidates) {
    const n = counts.get(ir.id) ?? 0;
    if (n / total <= share) continue;
    out.push({
      kind: 'noisy',
      severity: 'warning',
      section: 'rules',
      name: change.name,
      ...(change.title === undefined ? {} : { title: change.title }),
      ...(change.path === undefined ? {} : { path: change.path }),
      message: `matches ${n} of ${total} events of the baseline sample ${baseline.label} (${Math.round((100 * n) / total)}%)`,
      groups: change.groups.filter((g) => g.change !== 'removed').map((g) => g.group),
    });
  }
  return out;
}

/** Whether a rule's variants are constant: true if any is always true, false if all never match. */
export function constantOf(conditions: readonly Expr[], empty = false): boolean | undefined {
  if (empty) return false;
  const values = conditions.map(constant);
  if (values.some((v) => v === true)) return true;
  if (values.every((v) => v === false)) return false;
  return undefined;
}

/** Folds an expression over its constant parts: `true`, `false`, or undefined when it depends on the event. */
export function constant(e: Expr): boolean | undefined {
  switch (e.op) {
    case 'const':
      return e.value;
    case 'not': {
      const v = constant(e.arg);
      return v === undefined ? undefined : !v;
    }
    case 'and': {
      const vs = e.args.map(constant);
      if (vs.some((v) => v === false)) return false;
      return vs.every((v) => v === true) ? true : undefined;
    }
    case 'or': {
      const vs = e.args.map(constant);
      if (vs.some((v) => v === true)) return true;
      return vs.every((v) => v === false) ? false : undefined;
    }
    case 'field':
    case 'keyword':
      return testsConstant(e.tests, e.all === true);
    case 'exists':
      return undefined;
  }
}

function testsConstant(tests: readonly Test[], all: boolean): boolean | undefined {
  const never = tests.map((t) => t.t === 'never');
  if (tests.length === 0) return false;
  if (all ? never.some(Boolean) : never.every(Boolean)) return false;
  return undefined;
}
