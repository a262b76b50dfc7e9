import type { AnomalyIR } from './policy-ir.js';
import type { StateStore } from './policy-state.js';

/**
 * First-seen detection over event time. Each host (the agent's own, or each host of an event
 * stream in `vigil eval`) learns silently for the learning period, counted from the first
 * event the anomaly considered on that host; after that a value tuple never seen on the host
 * alerts once. When the anomaly is suppressed on the collector, a tuple that another host
 * already reported to the collector's global baseline does not alert.
 */

/** The collector's global baseline as the engine sees it (runtime/collector/baseline.ts implements it). */
export interface CollectorBaseline {
  /** Records a tuple seen on a host; returns true when no host had reported it before. */
  observe(policy: string, relationship: string, values: Readonly<Record<string, string>>, host: string, time: number): boolean;
}

/** An anomaly alert. */
export interface AnomalyAlert {
  readonly kind: 'anomaly';
  readonly policy: AnomalyIR;
  readonly key: Readonly<Record<string, string>>;
  readonly event: number;
  readonly time: number;
}

/** A seen tuple as stored: when and on which host it was first seen. */
export interface SeenValue {
  readonly first: number;
  readonly host: string;
}

/** The key fields without `host`: what the collector compares across hosts. */
export function globalValues(key: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f in key) if (f !== 'host') out[f] = key[f]!;
  return out;
}

/** Observes one event's tuple for an anomaly on a host; returns an alert for a new value after learning. */
export function observeAnomaly(
  store: StateStore,
  policy: AnomalyIR,
  host: string,
  key: Readonly<Record<string, string>>,
  event: number,
  t: number,
  collector: CollectorBaseline | undefined,
): AnomalyAlert | undefined {
  const learnRaw = store.get('learn', policy.id, host);
  let learnStart: number;
  if (learnRaw === undefined) {
    learnStart = t;
    store.put('learn', policy.id, host, String(t), Number.POSITIVE_INFINITY);
  } else learnStart = Number(learnRaw);
  const k = JSON.stringify([host, ...Object.values(key)]);
  if (store.get('seen', policy.id, k) !== undefined) return undefined;
  const seen: SeenValue = { first: t, host };
  store.put('seen', policy.id, k, JSON.stringify(seen), Number.POSITIVE_INFINITY);
  const globallyNew = collector ? collector.observe(policy.id, policy.relationship, globalValues(key), host, t) : true;
  if (t - learnStart < policy.learningMs) return undefined;
  if (policy.suppressOnCollector && !globallyNew) return undefined;
  return { kind: 'anomaly', policy, key, event, time: t };
}
