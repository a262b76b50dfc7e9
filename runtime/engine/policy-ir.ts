import type { CorrelationRule } from './ir.js';

/**
 * The policy IR: threat scores and anomalies as plain JSON data next to the detection IR.
 * Filters lower to `DetectionRule` and chains to `CorrelationRule` (temporal_ordered), so only
 * the kinds Sigma has no shape for are defined here. `schema/policy-ir.schema.json` describes
 * the same shape.
 */

/** What selects the events an entry scores; every given selector must match (AND). */
export interface ScoreSelector {
  /** Sigma rule id the event must match. */
  readonly rule?: string;
  /** Lowered id of a Filter (`filter:<name>`) the event must match. */
  readonly filter?: string;
  /** Sigma tag that one of the rules the event matches carries. */
  readonly tag?: string;
  /** Sigma level that one of the rules the event matches has. */
  readonly level?: string;
}

/** One score entry: the selectors and the score 0-100 an event matching them contributes. */
export interface ScoreEntryIR extends ScoreSelector {
  readonly score: number;
}

/** A lowered ThreatScore: sum scores per key in a sliding window of event time. */
export interface ThreatScoreIR {
  readonly type: 'threat-score';
  /** The ThreatScore's `metadata.name`. */
  readonly id: string;
  /** Event field the sums are kept per (`host` and `user` are the normalised host and user). */
  readonly key: string;
  readonly windowMs: number;
  readonly threshold: number;
  /** After an alert the same key stays quiet this long (event time). */
  readonly cooldownMs: number;
  readonly level?: string;
  /** An event takes the highest score among the entries it matches. */
  readonly scores: readonly ScoreEntryIR[];
  readonly actions?: readonly string[];
}

/** A lowered Anomaly: first-seen detection of a tuple of event fields. */
export interface AnomalyIR {
  readonly type: 'anomaly';
  /** The Anomaly's `metadata.name`. */
  readonly id: string;
  /** Built-in relationship this anomaly tracks, or `first-seen` for a custom tuple. */
  readonly relationship: 'first-seen' | 'parent-child' | 'user-process' | 'process-dll' | 'user-pipe';
  /** Fields whose value tuple is tracked, per host unless suppressed on the collector. */
  readonly key: readonly string[];
  /** Lowered id of the filter (`filter:<name>`) an event must match first; absent means any event with every key field. */
  readonly filter?: string;
  /** Sysmon event ids the relationship comes from when no filter is given. */
  readonly eventIds?: readonly number[];
  readonly learningMs: number;
  readonly suppressOnCollector: boolean;
  readonly level?: string;
  readonly actions?: readonly string[];
}

/** One chain step: the event must match every ref (a rule id, or a filter's `filter:<name>`). */
export interface ChainStepIR {
  readonly refs: readonly string[];
  /** Label shown in alerts. */
  readonly name?: string;
}

/**
 * A lowered Chain: Sigma's temporal_ordered correlation (`rules` are the steps' first refs, in
 * order; `groupBy` the key; `timespanMs` the window) with two compatible extensions a plain
 * correlation reader may ignore: steps that need several refs at once, and a step that must
 * not follow within the window.
 */
export interface ChainRule extends CorrelationRule {
  readonly correlation: 'temporal_ordered';
  readonly steps: readonly ChainStepIR[];
  /** When present, a completed chain fires only if no matching event with the same key follows within the window after its last step. */
  readonly notFollowedBy?: ChainStepIR;
  readonly actions?: readonly string[];
}
