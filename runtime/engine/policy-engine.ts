import { Engine, type Alert, type EngineOptions } from './engine.js';
import type { CorrelationRule, DetectionRule, Rule } from './ir.js';
import type { AnomalyIR, ThreatScoreIR } from './policy-ir.js';
import { MemoryStateStore, type StateStore } from './policy-state.js';
import { eventId, makeTimeReader } from './field-access.js';
import { makeKeyReader, makeTupleReader } from './event-keys.js';
import { addScore, scoreOf, type Matched, type ThreatScoreAlert } from './threat-score.js';
import { advanceChain, chainNotFollowedBy, chainSteps, expireChains, type ChainAlert } from './chain.js';
import { observeAnomaly, type AnomalyAlert, type CollectorBaseline } from './anomaly.js';

/**
 * The detection engine plus Vigil's stateful policies: threat scores, chains and anomalies.
 * It owns a detection Engine (Sigma rules and Filters as detection IR), watches which rules
 * each event matched, and feeds those matches to the policies by event time. All state lives
 * in a StateStore, so the same engine runs in memory (`vigil eval`) or on SQLite (the agent).
 */

/** The policies one engine runs, as the compiler lowers them (compiler/lower/policies.ts). */
export interface PolicySet {
  readonly filters: readonly DetectionRule[];
  readonly threatScores: readonly ThreatScoreIR[];
  readonly chains: readonly CorrelationRule[];
  readonly anomalies: readonly AnomalyIR[];
}

/** Everything the policy engine reports: detection and correlation alerts, then its own kinds. */
export type PolicyAlert = Alert | ThreatScoreAlert | ChainAlert | AnomalyAlert;

/** Receives alerts as they are produced. */
export type PolicyEmit = (alert: PolicyAlert) => void;

/** Options for building a policy engine. */
export interface PolicyEngineOptions extends EngineOptions {
  /** Where state lives; a fresh in-memory store by default. */
  readonly store?: StateStore;
  /** How far (ms) an event may be older than the newest one seen and still count; 60 s by default. */
  readonly toleranceMs?: number;
  /** The collector's global baseline, for anomalies suppressed on the collector. */
  readonly collector?: CollectorBaseline;
  /** Event time (ms) between eviction passes over the state; 60 s by default. */
  readonly evictIntervalMs?: number;
}

/** Counters for reports and the benchmark. */
export interface PolicyStats {
  /** Events older than the watermark minus the tolerance, left out of stateful policies. */
  late: number;
  /** State entries removed because their windows ended. */
  evicted: number;
}

const WATERMARK = 'watermark';

interface Scored {
  readonly policy: ThreatScoreIR;
  readonly key: (event: unknown) => string | undefined;
}

interface Followed {
  readonly rule: CorrelationRule;
  readonly refs: ReadonlySet<string>;
  readonly key: (event: unknown) => Record<string, string> | undefined;
}

interface Watched {
  readonly policy: AnomalyIR;
  readonly eventIds?: ReadonlySet<number>;
  readonly key: (event: unknown) => Record<string, string> | undefined;
}

const readHost = makeKeyReader('host');

/** A detection engine with threat scores, chains and anomalies on top. */
export class PolicyEngine {
  readonly engine: Engine;
  readonly store: StateStore;
  readonly stats: PolicyStats = { late: 0, evicted: 0 };
  private readonly toleranceMs: number;
  private readonly evictIntervalMs: number;
  private readonly collector: CollectorBaseline | undefined;
  private readonly scores: Scored[];
  private readonly chains: Followed[];
  private readonly anomalies: Watched[];
  /** Whether any ThreatScore, Chain or Anomaly keeps state (else events that concern no policy are not even timed). */
  private readonly stateful: boolean;
  /** Whether an Anomaly has neither a filter nor event ids, so it watches every event. */
  private readonly watchesAll: boolean;
  private readonly readTime: (event: unknown) => number;
  private readonly refs = new Set<string>();
  private readonly tags = new Set<string>();
  private readonly levels = new Set<string>();
  private readonly matched: Matched = { refs: this.refs, tags: this.tags, levels: this.levels };
  private watermark: number;
  private lastEvict: number;
  private out: PolicyEmit = () => undefined;
  /** Rules whose own alerts Sigma's `generate: false` hides; the policies still see their matches. */
  private readonly hidden: ReadonlySet<string>;
  /** Bound once: records what each event matched and passes the alert on. */
  private readonly collect = (alert: Alert): void => {
    if (alert.kind === 'detection') {
      const r = alert.rule;
      this.refs.add(r.id);
      if (r.name) this.refs.add(r.name);
      if (r.level) this.levels.add(r.level);
      if (r.tags) for (const t of r.tags) this.tags.add(t);
    } else {
      this.refs.add(alert.rule.id);
      if (alert.rule.name) this.refs.add(alert.rule.name);
    }
    if (!this.hidden.has(alert.rule.id)) this.out(alert);
  };

  constructor(rules: readonly Rule[], policies: PolicySet, options: PolicyEngineOptions = {}) {
    // The detection engine reports every match (generate: true), so scores and chains see the
    // matches of rules a Sigma correlation hides; hiding is then done here, for output only.
    this.hidden = hiddenRules(rules);
    const open = rules.map((r) => (r.type === 'correlation' && !r.generate ? { ...r, generate: true } : r));
    this.engine = new Engine([...open, ...policies.filters], options);
    this.store = options.store ?? new MemoryStateStore();
    this.toleranceMs = options.toleranceMs ?? 60_000;
    this.evictIntervalMs = options.evictIntervalMs ?? 60_000;
    this.collector = options.collector;
    this.readTime = makeTimeReader(options.timeFields);
    this.scores = policies.threatScores.map((policy) => ({ policy, key: makeKeyReader(policy.key) }));
    this.chains = policies.chains.map((rule) => {
      const nfb = chainNotFollowedBy(rule);
      const refs = new Set([...chainSteps(rule), ...(nfb ? [nfb] : [])].flatMap((s) => s.refs));
      return { rule, refs, key: makeTupleReader(rule.groupBy) };
    });
    this.anomalies = policies.anomalies.map((policy) => ({
      policy,
      ...(policy.eventIds && !policy.filter ? { eventIds: new Set(policy.eventIds) } : {}),
      key: makeTupleReader(policy.key),
    }));
    this.stateful = this.scores.length + this.chains.length + this.anomalies.length > 0;
    this.watchesAll = policies.anomalies.some((a) => !a.filter && !a.eventIds);
    const saved = Number(this.store.get('meta', '', WATERMARK));
    this.watermark = Number.isFinite(saved) ? saved : Number.NEGATIVE_INFINITY;
    this.lastEvict = this.watermark;
  }

  /** Evaluates one event (with its 0-based input index) and emits every alert it causes. */
  process(event: unknown, index: number, emit: PolicyEmit): void {
    this.refs.clear();
    this.tags.clear();
    this.levels.clear();
    this.out = emit;
    this.engine.process(event, index, this.collect);
    const hasRefs = this.refs.size > 0;
    const candidate = hasRefs || this.anomalyCandidate(event);
    if (!candidate && !this.stateful) return;
    let t = this.readTime(event);
    // An event without a readable time is taken to happen with the newest one so far.
    if (Number.isNaN(t)) t = Number.isFinite(this.watermark) ? this.watermark : 0;
    if (!candidate) {
      // It concerns no policy, yet it is an event: the newest event time moves with it.
      if (t > this.watermark) this.moveWatermark(t, emit);
      return;
    }
    if (t < this.watermark - this.toleranceMs) {
      this.stats.late++;
      return;
    }
    const stateful = (): void => {
      if (t > this.watermark) this.advance(t, emit);
      if (hasRefs) {
        for (const s of this.scores) this.score(s, event, index, t, emit);
        for (const c of this.chains) this.follow(c, event, index, t, emit);
      }
      for (const a of this.anomalies) this.watch(a, event, index, t, emit);
    };
    // One transaction per event: its state changes commit together, or not at all.
    if (this.store.batch) this.store.batch(stateful);
    else stateful();
  }

  /** Whether an anomaly policy may watch this event without any rule matching it: one scoped by event ids that include its id, or one with neither a filter nor ids (it watches every event). */
  private anomalyCandidate(event: unknown): boolean {
    if (this.anomalies.length === 0) return false;
    if (this.watchesAll) return true;
    const id = eventId(event);
    return this.anomalies.some((a) => a.eventIds?.has(id) ?? false);
  }

  /** Moves the newest event time; the periodic pass (expired chains, eviction) runs in a transaction of its own. */
  private moveWatermark(t: number, emit: PolicyEmit): void {
    if (!this.passDue(t)) this.watermark = t;
    else if (this.store.batch) this.store.batch(() => this.advance(t, emit));
    else this.advance(t, emit);
  }

  /** Whether the periodic pass (expired chains, eviction) is due at event time `t`. */
  private passDue(t: number): boolean {
    return !Number.isFinite(this.lastEvict) || t - this.lastEvict >= this.evictIntervalMs;
  }

  private score(s: Scored, event: unknown, index: number, t: number, emit: PolicyEmit): void {
    const got = scoreOf(s.policy, this.matched);
    if (!got || got.score <= 0) return;
    const value = s.key(event);
    if (value === undefined) return;
    const alert = addScore(this.store, s.policy, { [s.policy.key]: value }, { event: index, time: t, score: got.score, by: got.by }, this.toleranceMs);
    if (alert) emit(alert);
  }

  private follow(c: Followed, event: unknown, index: number, t: number, emit: PolicyEmit): void {
    let relevant = false;
    for (const r of c.refs) if (this.refs.has(r)) relevant = true;
    if (!relevant) return;
    const key = c.key(event);
    if (!key) return;
    for (const a of advanceChain(this.store, c.rule, key, this.refs, index, t, this.toleranceMs)) emit(a);
  }

  private watch(a: Watched, event: unknown, index: number, t: number, emit: PolicyEmit): void {
    if (a.policy.filter !== undefined ? !this.refs.has(a.policy.filter) : a.eventIds !== undefined && !a.eventIds.has(eventId(event))) return;
    const key = a.key(event);
    if (!key) return;
    const host = key.host ?? readHost(event) ?? '';
    const alert = observeAnomaly(this.store, a.policy, host, key, index, t, this.collector);
    if (alert) emit(alert);
  }

  /** Moves the watermark; now and then fires chains whose wait is over and evicts ended windows. */
  private advance(t: number, emit: PolicyEmit): void {
    this.watermark = t;
    if (!this.passDue(t)) return;
    this.lastEvict = t;
    for (const a of expireChains(this.store, this.chains.map((c) => c.rule), t, this.toleranceMs)) emit(a);
    this.stats.evicted += this.store.evict(t - this.toleranceMs);
    this.store.put('meta', '', WATERMARK, String(t), Number.POSITIVE_INFINITY);
  }

  /** Ends the input: closes correlation windows and fires chains still waiting on `notFollowedBy`. */
  flush(emit: PolicyEmit): void {
    this.engine.flush(emit);
    for (const a of expireChains(this.store, this.chains.map((c) => c.rule), Number.POSITIVE_INFINITY, this.toleranceMs)) emit(a);
  }

  /** Saves the watermark (call before closing the store so a restart resumes exactly). */
  checkpoint(): void {
    if (Number.isFinite(this.watermark)) this.store.put('meta', '', WATERMARK, String(this.watermark), Number.POSITIVE_INFINITY);
  }
}

/** Ids of the rules only referenced by correlations that do not `generate` their matches (Sigma semantics). */
function hiddenRules(rules: readonly Rule[]): Set<string> {
  const corrs = rules.filter((r): r is CorrelationRule => r.type === 'correlation');
  const hidden = new Set<string>();
  for (const r of rules) {
    if (r.type === 'filter') continue;
    const by = corrs.filter((c) => c.rules.includes(r.id) || (r.name !== undefined && c.rules.includes(r.name)));
    if (by.length > 0 && !by.some((c) => c.generate)) hidden.add(r.id);
  }
  return hidden;
}

/** Builds a policy engine from detection IR rules and lowered policies. */
export function createPolicyEngine(rules: readonly Rule[], policies: PolicySet, options: PolicyEngineOptions = {}): PolicyEngine {
  return new PolicyEngine(rules, policies, options);
}
