import type { CorrelationCondition, CorrelationRule, RuleExpr } from './ir.js';
import { scalarString } from './field-access.js';

/**
 * Sigma correlation rules, evaluated as a stream (https://github.com/SigmaHQ/sigma-specification,
 * correlation rules). State is in memory, per correlation and group-by key; time comes from the
 * events, never from a clock. Windows slide: an entry older than `timespan` before the newest
 * event of its group is dropped. A condition with only lower bounds (gt, gte, eq, neq) fires as
 * soon as an arriving event satisfies it; a condition with an upper bound (lt, lte) can only be
 * judged once its window is over, so it fires when the window closes (a later event of the same
 * group, or `flush` at the end of input). After firing, the group starts afresh.
 */

/** One correlation hit. */
export interface CorrelationAlert {
  readonly rule: CorrelationRule;
  /** group-by field → value. */
  readonly group: Readonly<Record<string, string>>;
  /** Input indexes of the events that formed the alert, in arrival order. */
  readonly events: readonly number[];
  /** The measured value (count, distinct count, sum, average or percentile). */
  readonly value: number;
  /** Time of the first and last contributing event, epoch milliseconds. */
  readonly start: number;
  readonly end: number;
}

/** An observation handed to a correlation: which referenced rule fired, and how to read fields. */
export interface Observation {
  /** Position of the firing rule in the correlation's `rules` list. */
  readonly ref: number;
  /** The firing rule's id and name, so aliases may name it either way. */
  readonly keys?: readonly (string | undefined)[];
  readonly read: (field: string) => unknown;
  readonly time: number;
  readonly events: readonly number[];
}

interface Entry {
  readonly time: number;
  readonly events: readonly number[];
  readonly ref: number;
  readonly value: string | number | undefined;
}

function holds(c: CorrelationCondition, x: number): boolean {
  if (c.gt !== undefined && !(x > c.gt)) return false;
  if (c.gte !== undefined && !(x >= c.gte)) return false;
  if (c.lt !== undefined && !(x < c.lt)) return false;
  if (c.lte !== undefined && !(x <= c.lte)) return false;
  if (c.eq !== undefined && x !== c.eq) return false;
  if (c.neq !== undefined && x === c.neq) return false;
  return true;
}

function evalRuleExpr(e: RuleExpr, present: (ref: string) => boolean): boolean {
  switch (e.op) {
    case 'rule': return present(e.ref);
    case 'not': return !evalRuleExpr(e.arg, present);
    case 'and': return e.args.every((a) => evalRuleExpr(a, present));
    case 'or': return e.args.some((a) => evalRuleExpr(a, present));
  }
}

/** Nearest-rank percentile of a list of numbers. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** The streaming state of one correlation rule. */
export class CorrelationState {
  private readonly groups = new Map<string, { values: Record<string, string>; entries: Entry[] }>();
  private readonly upperBound: boolean;

  constructor(readonly rule: CorrelationRule) {
    const c = rule.condition;
    this.upperBound = c !== undefined && (c.lt !== undefined || c.lte !== undefined);
  }

  /** The field an alias resolves to for the referenced rule at position `ref`. */
  private fieldFor(name: string, obs: Observation): string {
    const alias = this.rule.aliases?.[name];
    if (!alias) return name;
    for (const key of [this.rule.rules[obs.ref], ...(obs.keys ?? [])]) {
      if (key !== undefined && alias[key] !== undefined) return alias[key]!;
    }
    return name;
  }

  /** Feeds one observation; returns the alerts it completes. */
  observe(obs: Observation): CorrelationAlert[] {
    const values: Record<string, string> = {};
    for (const g of this.rule.groupBy) {
      const v = scalarString(obs.read(this.fieldFor(g, obs)));
      // Like `stats ... by` in SIEMs, an event without a group-by field joins no group.
      if (v === undefined) return [];
      values[g] = v;
    }
    const key = JSON.stringify(this.rule.groupBy.map((g) => values[g]));
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { values, entries: [] }));
    const out: CorrelationAlert[] = [];
    if (this.upperBound) this.closeExpired(group, obs.time, out);
    let value: string | number | undefined;
    const field = this.rule.condition?.field;
    const kind = this.rule.correlation;
    if (field !== undefined && kind !== 'event_count' && !kind.startsWith('temporal')) {
      const raw = obs.read(this.fieldFor(field, obs));
      if (kind === 'value_count') {
        value = scalarString(raw);
        if (value === undefined) return out;
      } else {
        const n = typeof raw === 'number' ? raw : Number(scalarString(raw) ?? NaN);
        if (Number.isNaN(n)) return out;
        value = n;
      }
    }
    // Kept in time order, so a window is always a run of them: events may arrive out of order
    // (within the engine's tolerance). Most arrive in order, so the place is found from the end.
    const entries = group.entries;
    let at = entries.length;
    while (at > 0 && entries[at - 1]!.time > obs.time) at--;
    entries.splice(at, 0, { time: obs.time, events: obs.events, ref: obs.ref, value });
    const horizon = entries[entries.length - 1]!.time - this.rule.timespanMs;
    if (!this.upperBound) {
      while (group.entries.length > 0 && group.entries[0]!.time < horizon) group.entries.shift();
      const alert = this.judge(group.values, group.entries);
      // A fired group starts afresh; dropping it also bounds memory to the groups still open.
      if (alert) {
        out.push(alert);
        this.groups.delete(key);
      }
    }
    return out;
  }

  private closeExpired(group: { values: Record<string, string>; entries: Entry[] }, now: number, out: CorrelationAlert[]): void {
    while (group.entries.length > 0 && now - group.entries[0]!.time > this.rule.timespanMs) {
      const start = group.entries[0]!.time;
      const inWindow = group.entries.filter((e) => e.time - start <= this.rule.timespanMs);
      const alert = this.judge(group.values, inWindow);
      if (alert) out.push(alert);
      group.entries = group.entries.slice(inWindow.length);
    }
  }

  /** Closes every open window (end of input) and returns the alerts that hold. */
  flush(): CorrelationAlert[] {
    const out: CorrelationAlert[] = [];
    if (!this.upperBound) return out;
    for (const group of this.groups.values()) {
      this.closeExpired(group, Number.POSITIVE_INFINITY, out);
    }
    this.groups.clear();
    return out;
  }

  /** Measures a window and returns an alert when the condition holds. */
  private judge(values: Record<string, string>, entries: readonly Entry[]): CorrelationAlert | undefined {
    if (entries.length === 0) return undefined;
    const r = this.rule;
    let measured: number;
    const used: readonly Entry[] = entries;
    switch (r.correlation) {
      case 'event_count':
        measured = entries.length;
        break;
      case 'value_count':
        measured = new Set(entries.map((e) => e.value)).size;
        break;
      case 'value_sum':
        measured = entries.reduce((s, e) => s + (e.value as number), 0);
        break;
      case 'value_avg':
        measured = entries.reduce((s, e) => s + (e.value as number), 0) / entries.length;
        break;
      case 'value_percentile':
        measured = percentile(entries.map((e) => e.value as number), r.condition?.percentile ?? 50);
        break;
      case 'temporal': {
        const seen = new Set(entries.map((e) => e.ref));
        measured = seen.size;
        if (r.ruleCondition) {
          if (!evalRuleExpr(r.ruleCondition, (ref) => r.rules.some((name, i) => name === ref && seen.has(i)))) return undefined;
          return this.alert(values, entries, measured);
        }
        break;
      }
      case 'temporal_ordered': {
        // Greedy: the earliest occurrence of each rule after the previous one in the list.
        let next = 0;
        const chosen: Entry[] = [];
        for (const e of entries) {
          if (e.ref === next) {
            chosen.push(e);
            next++;
            if (next === r.rules.length) break;
          }
        }
        measured = next;
        if (!r.condition) return next === r.rules.length ? this.alert(values, chosen, measured) : undefined;
        break;
      }
    }
    if (r.correlation === 'temporal' && !r.condition) return measured === r.rules.length ? this.alert(values, used, measured) : undefined;
    if (!r.condition || !holds(r.condition, measured)) return undefined;
    return this.alert(values, used, measured);
  }

  private alert(values: Record<string, string>, entries: readonly Entry[], value: number): CorrelationAlert {
    const events: number[] = [];
    for (const e of entries) for (const i of e.events) if (!events.includes(i)) events.push(i);
    return { rule: this.rule, group: { ...values }, events, value, start: entries[0]!.time, end: entries[entries.length - 1]!.time };
  }
}
