import type { ScoreEntryIR, ThreatScoreIR } from './policy-ir.js';
import type { StateStore } from './policy-state.js';

/**
 * Threat scoring over event time. Per policy and key value, the scored events of the last
 * window are kept (in the StateStore, so a restart loses nothing). A window is inclusive: two
 * events exactly `window` apart are in it, one millisecond more and they are not. When some
 * window holding the new event sums to the threshold, one alert lists its events, the key's
 * entries are cleared and the key stays quiet for the cooldown.
 */

/** What an event matched, as the scorer needs it. */
export interface Matched {
  /** Ids and names of the matched detection rules and filters. */
  readonly refs: ReadonlySet<string>;
  /** Tags and levels of the matched Sigma rules. */
  readonly tags: ReadonlySet<string>;
  readonly levels: ReadonlySet<string>;
}

/** One scored event in a window. */
export interface Contribution {
  readonly event: number;
  readonly time: number;
  readonly score: number;
  /** The selector that gave the score: a rule id, `filter:<name>`, `tag:<tag>` or `level:<level>`. */
  readonly by: string;
}

/** A threat-score alert. */
export interface ThreatScoreAlert {
  readonly kind: 'threat-score';
  readonly policy: ThreatScoreIR;
  readonly key: Readonly<Record<string, string>>;
  readonly score: number;
  readonly contributions: readonly Contribution[];
  readonly start: number;
  readonly end: number;
}

interface WindowState {
  entries: Contribution[];
  cooldownUntil?: number;
}

function entryMatches(e: ScoreEntryIR, m: Matched): boolean {
  if (e.rule !== undefined && !m.refs.has(e.rule)) return false;
  if (e.filter !== undefined && !m.refs.has(e.filter)) return false;
  if (e.tag !== undefined && !m.tags.has(e.tag)) return false;
  if (e.level !== undefined && !m.levels.has(e.level)) return false;
  return true;
}

/** The highest score the policy gives an event, and the selector behind it; undefined when none applies. */
export function scoreOf(policy: ThreatScoreIR, m: Matched): { score: number; by: string } | undefined {
  let best: { score: number; by: string } | undefined;
  for (const e of policy.scores) {
    if (!entryMatches(e, m)) continue;
    if (best === undefined || e.score > best.score) {
      best = { score: e.score, by: e.rule ?? e.filter ?? (e.tag !== undefined ? `tag:${e.tag}` : `level:${e.level ?? ''}`) };
    }
  }
  return best;
}

/** Finds the earliest window of `windowMs` that contains `t` and reaches the threshold. */
function reaching(entries: readonly Contribution[], t: number, windowMs: number, threshold: number): Contribution[] | undefined {
  for (let i = 0; i < entries.length; i++) {
    const start = entries[i]!.time;
    if (start > t) break;
    if (t - start > windowMs) continue;
    let sum = 0;
    const inside: Contribution[] = [];
    for (let j = i; j < entries.length && entries[j]!.time - start <= windowMs; j++) {
      sum += entries[j]!.score;
      inside.push(entries[j]!);
    }
    if (sum >= threshold) return inside;
  }
  return undefined;
}

/** Adds one scored event to its key's window; returns the alert it completes, if any. */
export function addScore(
  store: StateStore,
  policy: ThreatScoreIR,
  key: Readonly<Record<string, string>>,
  c: Contribution,
  toleranceMs: number,
): ThreatScoreAlert | undefined {
  const k = JSON.stringify(Object.values(key));
  const raw = store.get('score', policy.id, k);
  const state: WindowState = raw ? (JSON.parse(raw) as WindowState) : { entries: [] };
  if (state.cooldownUntil !== undefined) {
    if (c.time < state.cooldownUntil) return undefined;
    delete state.cooldownUntil;
  }
  // Keep the entries sorted by time; an out-of-order event goes where it belongs.
  let at = state.entries.length;
  while (at > 0 && state.entries[at - 1]!.time > c.time) at--;
  state.entries.splice(at, 0, c);
  const newest = state.entries[state.entries.length - 1]!.time;
  // Anything that can no longer share a window with an event still to come (late ones included) goes.
  const horizon = newest - policy.windowMs - toleranceMs;
  while (state.entries.length > 0 && state.entries[0]!.time < horizon) state.entries.shift();
  const hit = reaching(state.entries, c.time, policy.windowMs, policy.threshold);
  if (hit) {
    const end = hit[hit.length - 1]!.time;
    const until = end + policy.cooldownMs;
    if (policy.cooldownMs > 0) store.put('score', policy.id, k, JSON.stringify({ entries: [], cooldownUntil: until }), until);
    else store.delete('score', policy.id, k);
    const score = hit.reduce((s, e) => s + e.score, 0);
    return { kind: 'threat-score', policy, key, score, contributions: hit, start: hit[0]!.time, end };
  }
  if (state.entries.length === 0) store.delete('score', policy.id, k);
  else store.put('score', policy.id, k, JSON.stringify(state), newest + policy.windowMs + toleranceMs);
  return undefined;
}
