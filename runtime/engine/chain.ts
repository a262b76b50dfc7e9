import type { CorrelationRule } from './ir.js';
import type { ChainRule, ChainStepIR } from './policy-ir.js';
import type { StateStore } from './policy-state.js';

/**
 * Chains (Sigma temporal_ordered correlations with Vigil's extensions) over event time, with
 * their progress in the StateStore. Per key there is at most one partial run per next step:
 * of two runs waiting for the same step, the one that started later can finish in every case
 * the older one can, so keeping only it bounds state to the number of steps. A completed
 * chain with `notFollowedBy` waits one window after its last step; a matching event with the
 * same key in that time cancels it, otherwise it fires when event time (or the end of input)
 * passes the wait.
 */

/** A chain alert. */
export interface ChainAlert {
  readonly kind: 'chain';
  readonly policy: CorrelationRule;
  readonly key: Readonly<Record<string, string>>;
  /** Input indexes of the events of each step, in step order. */
  readonly events: readonly number[];
  readonly start: number;
  readonly end: number;
}

interface Run {
  start: number;
  last: number;
  next: number;
  events: number[];
}

interface Pending {
  start: number;
  last: number;
  events: number[];
}

interface ChainState {
  runs: Run[];
  pending: Pending[];
}

/** The steps of a chain: Vigil's `steps`, or one ref per step for a plain temporal_ordered correlation. */
export function chainSteps(rule: CorrelationRule): readonly ChainStepIR[] {
  const steps = (rule as Partial<ChainRule>).steps;
  return steps ?? rule.rules.map((ref) => ({ refs: [ref] }));
}

/** The `notFollowedBy` step of a chain, if any. */
export function chainNotFollowedBy(rule: CorrelationRule): ChainStepIR | undefined {
  return (rule as Partial<ChainRule>).notFollowedBy;
}

/** Whether an event that matched `refs` satisfies a step. */
export function stepMatches(step: ChainStepIR, refs: ReadonlySet<string>): boolean {
  return step.refs.length > 0 && step.refs.every((r) => refs.has(r));
}

function keyOf(key: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.values(key));
}

function load(store: StateStore, rule: CorrelationRule, k: string): ChainState {
  const raw = store.get('chain', rule.id, k);
  return raw ? (JSON.parse(raw) as ChainState) : { runs: [], pending: [] };
}

function save(store: StateStore, rule: CorrelationRule, k: string, s: ChainState, toleranceMs: number): void {
  if (s.runs.length === 0 && s.pending.length === 0) {
    store.delete('chain', rule.id, k);
    return;
  }
  const until = Math.max(...s.runs.map((r) => r.start + rule.timespanMs), ...s.pending.map((p) => p.last + rule.timespanMs));
  store.put('chain', rule.id, k, JSON.stringify(s), until + toleranceMs);
}

function alertOf(rule: CorrelationRule, key: Readonly<Record<string, string>>, p: Pending): ChainAlert {
  return { kind: 'chain', policy: rule, key, events: p.events, start: p.start, end: p.last };
}

/**
 * Feeds one event (at event time `t`) that matched at least one ref of the chain, or its
 * notFollowedBy step; returns the alerts it completes.
 */
export function advanceChain(
  store: StateStore,
  rule: CorrelationRule,
  key: Readonly<Record<string, string>>,
  refs: ReadonlySet<string>,
  event: number,
  t: number,
  toleranceMs: number,
): ChainAlert[] {
  const k = keyOf(key);
  const s = load(store, rule, k);
  const steps = chainSteps(rule);
  const nfb = chainNotFollowedBy(rule);
  const out: ChainAlert[] = [];
  const span = rule.timespanMs;
  // Pending completions: a notFollowedBy event cancels them; time past the wait fires them.
  if (nfb && stepMatches(nfb, refs)) s.pending = s.pending.filter((p) => !(t >= p.last && t - p.last <= span));
  s.pending = s.pending.filter((p) => {
    // Held for the tolerance too, as expireChains does: a cancelling event may still arrive late.
    if (t - p.last <= span + toleranceMs) return true;
    out.push(alertOf(rule, key, p));
    return false;
  });
  s.runs = s.runs.filter((r) => t - r.start <= span);
  let completed: Pending | undefined;
  // Highest step first, so one event never advances the same run twice.
  for (let i = steps.length - 1; i >= 0 && !completed; i--) {
    if (!stepMatches(steps[i]!, refs)) continue;
    let run: Run | undefined;
    if (i === 0) run = { start: t, last: t, next: 1, events: [event] };
    else {
      const from = s.runs.find((r) => r.next === i && t >= r.last);
      if (from) run = { start: from.start, last: t, next: i + 1, events: [...from.events, event] };
    }
    if (!run) continue;
    if (run.next === steps.length) {
      completed = { start: run.start, last: run.last, events: run.events };
      break;
    }
    const same = s.runs.findIndex((r) => r.next === run.next);
    if (same < 0) s.runs.push(run);
    else if (s.runs[same]!.start <= run.start) s.runs[same] = run;
  }
  if (completed) {
    // A completed chain starts afresh, like a fired Sigma correlation group.
    s.runs = [];
    if (nfb) s.pending.push(completed);
    else out.push(alertOf(rule, key, completed));
  }
  save(store, rule, k, s, toleranceMs);
  return out;
}

/**
 * Fires the pending completions whose wait is over by event time `now` (Infinity at the end of
 * input, when nothing can follow any more), so a key that goes quiet still gets its alert.
 */
export function expireChains(store: StateStore, rules: readonly CorrelationRule[], now: number, toleranceMs: number): ChainAlert[] {
  const out: ChainAlert[] = [];
  for (const rule of rules) {
    if (!chainNotFollowedBy(rule)) continue;
    for (const e of store.entries('chain', rule.id)) {
      const s = JSON.parse(e.value) as ChainState;
      const values = JSON.parse(e.key) as string[];
      const key: Record<string, string> = {};
      rule.groupBy.forEach((g, i) => (key[g] = values[i] ?? ''));
      const due = s.pending.filter((p) => now - p.last > rule.timespanMs + toleranceMs);
      if (due.length === 0) continue;
      for (const p of due) out.push(alertOf(rule, key, p));
      s.pending = s.pending.filter((p) => !due.includes(p));
      save(store, rule, e.key, s, toleranceMs);
    }
  }
  return out;
}
