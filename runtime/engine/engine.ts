import type { CorrelationRule, DetectionRule, Rule } from './ir.js';
import { compileRuleSet, type RuleSet, type RuleSetOptions } from './evaluate.js';
import { CorrelationState, type CorrelationAlert } from './correlation.js';
import { makeGetter, makeTimeReader, type Getter } from './field-access.js';

/**
 * The whole engine for one rule set: detection rules (with their filters) and the correlations
 * built on them. Shared by `vigil eval`, the rule-tests check, the agent and the benchmark, so
 * there is exactly one implementation of Sigma semantics.
 */

/** Options for building an engine. */
export interface EngineOptions extends RuleSetOptions {
  /** Fields read, in order, for an event's time (correlations); defaults to the common ones. */
  readonly timeFields?: readonly string[];
}

/** A detection rule matched an event. */
export interface DetectionAlert {
  readonly kind: 'detection';
  readonly rule: DetectionRule;
  readonly event: number;
}

/** A correlation rule fired. */
export interface CorrelationHit extends CorrelationAlert {
  readonly kind: 'correlation';
}

/** What the engine reports. */
export type Alert = DetectionAlert | CorrelationHit;

/** Receives alerts as the engine produces them. */
export type Emit = (alert: Alert) => void;

interface Listener {
  readonly state: CorrelationState;
  readonly ref: number;
  /** The referenced rule's id and name. */
  readonly keys: readonly (string | undefined)[];
}

/** A loaded rule set with correlation state; feed it events in order. */
export class Engine {
  readonly ruleSet: RuleSet;
  private readonly correlations: CorrelationState[];
  /** Detection rule index → correlations that reference it. */
  private readonly ruleListeners: Listener[][];
  /** Correlation index → correlations that reference it (chains). */
  private readonly corrListeners: Listener[][];
  private readonly suppressedRule: boolean[];
  private readonly suppressedCorr: boolean[];
  private readonly readTime: (event: unknown) => number;
  private readonly getters = new Map<string, Getter>();
  private readonly matched: number[] = [];
  /** Bound once, so evaluating an event does not allocate a callback. */
  private readonly collect = (ri: number): void => {
    this.matched.push(ri);
  };
  private lastTime = 0;

  constructor(rules: readonly Rule[], options: EngineOptions = {}) {
    this.ruleSet = compileRuleSet(rules, options);
    const corrRules = rules.filter((r): r is CorrelationRule => r.type === 'correlation');
    this.correlations = corrRules.map((r) => new CorrelationState(r));
    this.readTime = makeTimeReader(options.timeFields);
    const detections = this.ruleSet.rules;
    this.ruleListeners = detections.map((d) => this.listenersFor(corrRules, [d.id, d.name]));
    this.corrListeners = corrRules.map((c) => this.listenersFor(corrRules, [c.id, c.name]));
    // Sigma `generate`: referenced rules report their own matches only if a referencing correlation asks for it.
    this.suppressedRule = this.ruleListeners.map((ls) => ls.length > 0 && !ls.some((l) => l.state.rule.generate));
    this.suppressedCorr = this.corrListeners.map((ls) => ls.length > 0 && !ls.some((l) => l.state.rule.generate));
  }

  private listenersFor(corrRules: readonly CorrelationRule[], keys: readonly (string | undefined)[]): Listener[] {
    const out: Listener[] = [];
    corrRules.forEach((c, i) => {
      const ref = c.rules.findIndex((r) => keys.includes(r));
      if (ref >= 0) out.push({ state: this.correlations[i]!, ref, keys });
    });
    return out;
  }

  private getter(field: string): Getter {
    let g = this.getters.get(field);
    if (!g) this.getters.set(field, (g = makeGetter(field)));
    return g;
  }

  /** Evaluates one event (with its 0-based input index) and emits its alerts. */
  process(event: unknown, index: number, emit: Emit): void {
    const matched = this.matched;
    matched.length = 0;
    this.ruleSet.evaluate(event, this.collect);
    if (matched.length === 0) return;
    let time = Number.NaN;
    for (const ri of matched) {
      if (!this.suppressedRule[ri]) emit({ kind: 'detection', rule: this.ruleSet.rules[ri]!, event: index });
      const listeners = this.ruleListeners[ri]!;
      if (listeners.length === 0) continue;
      if (Number.isNaN(time)) {
        time = this.readTime(event);
        // An event without a readable time is taken to happen with the previous one.
        if (Number.isNaN(time)) time = this.lastTime;
        else this.lastTime = time;
      }
      for (const l of listeners) {
        const alerts = l.state.observe({ ref: l.ref, keys: l.keys, read: (f) => this.getter(f)(event), time, events: [index] });
        for (const a of alerts) this.fire(a, emit);
      }
    }
  }

  private fire(alert: CorrelationAlert, emit: Emit): void {
    const ci = this.correlations.findIndex((c) => c.rule === alert.rule);
    if (!this.suppressedCorr[ci]) emit({ kind: 'correlation', ...alert });
    for (const l of this.corrListeners[ci] ?? []) {
      const next = l.state.observe({ ref: l.ref, keys: l.keys, read: (f) => alert.group[f], time: alert.end, events: alert.events });
      for (const a of next) this.fire(a, emit);
    }
  }

  /** Ends the input: closes open correlation windows whose conditions need the window to be over. */
  flush(emit: Emit): void {
    for (const c of this.correlations) for (const a of c.flush()) this.fire(a, emit);
  }
}

/** Builds an engine from IR rules (detections, filters and correlations). */
export function createEngine(rules: readonly Rule[], options: EngineOptions = {}): Engine {
  return new Engine(rules, options);
}
