/**
 * Rollout rings, as pure functions: which ring a host is in, and when a group's next ring may
 * take the bundle the previous ring runs. A ring is promoted only after every live agent in the
 * previous ring runs the new bundle healthily (self-test passed, no error burst, no revert, no
 * refusal) for the ring's soak time, within its gates. No clock, no I/O: `now` is a parameter.
 */
import { createHash } from 'node:crypto';

/** The health conditions of a ring (RolloutRing.gates in schema/rollout.schema.json). */
export interface Gates {
  /** Largest share (0-1) of the ring's live agents that may be failing; default 0. */
  readonly maxErrorRate?: number;
  /** Every agent running the bundle must have passed its self-test; default true. */
  readonly selfTestPassed?: boolean;
  /** Least number of healthy agents; default 1 when any agent of the ring ever reported, else 0. */
  readonly minHealthyAgents?: number;
}

/** One ring. */
export interface Ring {
  readonly name: string;
  readonly hosts?: readonly string[];
  readonly percentage?: number;
  readonly soakMs: number;
  readonly gates: Gates;
}

/** A Rollout policy, ready to apply. */
export interface RolloutPlan {
  readonly name: string;
  /** Groups it stages; undefined means every group. */
  readonly groups?: readonly string[];
  readonly rings: readonly Ring[];
}

/** What a ring is offered. */
export interface RingState {
  /** Id of the repository release offered to the ring. */
  readonly release: string;
  /** The group's bundle digest in that release. */
  readonly digest: string;
  readonly offeredAt: number;
  /** Since when the ring has met its gates on `digest` without interruption. */
  readonly healthySince?: number;
  readonly promotedAt?: number;
}

/** One agent as the rollout sees it. */
export interface AgentView {
  readonly host: string;
  readonly ring: number;
  readonly alive: boolean;
  /** When it last reported (ms). */
  readonly lastSeen: number;
  readonly digest?: string;
  readonly selfTest: 'passed' | 'failed' | 'none';
  readonly errorBurst: boolean;
  readonly revertedFrom?: string;
  readonly refusedDigest?: string;
}

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a policy duration (`30s`, `5m`, `24h`, `7d`), or undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(0|[1-9][0-9]{0,8})(s|m|h|d)$/.exec(text);
  return m ? Number(m[1]) * (UNITS[m[2] as string] as number) : undefined;
}

/** Builds a plan from a Rollout document (already schema-valid); returns a problem text otherwise. */
export function planFromRollout(doc: unknown): RolloutPlan | string {
  const d = doc as { kind?: unknown; metadata?: { name?: unknown }; spec?: { hostGroups?: unknown; rings?: unknown } } | null;
  if (!d || d.kind !== 'Rollout' || !Array.isArray(d.spec?.rings) || d.spec.rings.length === 0) return 'not a Rollout document with rings';
  const rings: Ring[] = [];
  for (const r of d.spec.rings as Record<string, unknown>[]) {
    if (typeof r?.name !== 'string') return 'every ring needs a name';
    const soakMs = r.soak === undefined ? 0 : typeof r.soak === 'string' ? parseDuration(r.soak) : undefined;
    if (soakMs === undefined) return `ring \`${r.name}\`: soak must be a duration such as 30s, 5m or 24h`;
    const hosts = Array.isArray(r.hosts) ? r.hosts.filter((h): h is string => typeof h === 'string') : undefined;
    const percentage = typeof r.percentage === 'number' ? r.percentage : undefined;
    rings.push({ name: r.name, soakMs, gates: (r.gates ?? {}) as Gates, ...(hosts ? { hosts } : {}), ...(percentage !== undefined ? { percentage } : {}) });
  }
  const groups = Array.isArray(d.spec.hostGroups) ? d.spec.hostGroups.filter((g): g is string => typeof g === 'string') : undefined;
  return { name: typeof d.metadata?.name === 'string' ? d.metadata.name : 'rollout', rings, ...(groups ? { groups } : {}) };
}

/** True when the plan stages this group. */
export function stages(plan: RolloutPlan, group: string): boolean {
  return plan.groups === undefined || plan.groups.includes(group);
}

/** A host's stable bucket 0-99 (sha256 of its lower-cased name), for percentage rings. */
export function hostBucket(host: string): number {
  return createHash('sha256').update(host.toLowerCase()).digest().readUInt32BE(0) % 100;
}

/**
 * The ring of a host: the first ring naming it, else the first percentage ring whose cumulative
 * share covers its bucket, else the last ring (the most cautious place for an unknown host).
 * Label selectors need host labels, which agents do not report, so they select no host here.
 */
export function ringOf(plan: RolloutPlan, host: string | undefined): number {
  const last = plan.rings.length - 1;
  if (!host) return last;
  const name = host.toLowerCase();
  const named = plan.rings.findIndex((r) => r.hosts?.some((h) => h.toLowerCase() === name || name.startsWith(`${h.toLowerCase()}.`)));
  if (named >= 0) return named;
  const bucket = hostBucket(host);
  const byShare = plan.rings.findIndex((r) => r.percentage !== undefined && bucket < r.percentage);
  return byShare >= 0 ? byShare : last;
}

/** The gate verdict of one ring on one digest. */
export interface RingHealth {
  readonly pass: boolean;
  readonly members: number;
  readonly healthy: number;
  readonly failing: number;
  readonly pending: number;
}

/**
 * Judges a ring's agents on `digest` against its gates. Agents that went silent after the ring was
 * offered the digest count as failing (the bundle may have taken them down); agents already
 * silent before that are left out.
 */
export function ringHealth(ring: Ring, digest: string, agents: readonly AgentView[], everSeen: number, offeredAt = Number.NEGATIVE_INFINITY): RingHealth {
  const members = agents.filter((a) => a.alive || a.lastSeen >= offeredAt);
  const checkSelfTest = ring.gates.selfTestPassed !== false;
  const isFailing = (a: AgentView) => !a.alive || a.errorBurst || a.revertedFrom === digest || a.refusedDigest === digest || (checkSelfTest && a.digest === digest && a.selfTest !== 'passed');
  const failing = members.filter(isFailing).length;
  const healthy = members.filter((a) => a.digest === digest && !isFailing(a)).length;
  const pending = members.length - failing - healthy;
  const rate = members.length === 0 ? 0 : failing / members.length;
  const minHealthy = ring.gates.minHealthyAgents ?? (everSeen > 0 ? 1 : 0);
  const pass = pending === 0 && rate <= (ring.gates.maxErrorRate ?? 0) && healthy >= minHealthy;
  return { pass, members: members.length, healthy, failing, pending };
}

/** The newest release and the group's bundle digest in it. */
export interface Offer {
  readonly release: string;
  readonly digest: string;
}

/**
 * Moves a group's rollout one step: the canary ring takes the newest bundle at once; ring i+1
 * takes ring i's bundle once ring i met its gates for its soak time. A release that leaves the
 * group's bundle unchanged reaches every ring already on that bundle at once.
 */
export function advance(plan: RolloutPlan, previous: readonly RingState[] | undefined, newest: Offer, agents: readonly AgentView[], everSeen: readonly number[], now: number): RingState[] {
  if (!previous || previous.length !== plan.rings.length) return plan.rings.map(() => ({ release: newest.release, digest: newest.digest, offeredAt: now }));
  const next: RingState[] = previous.map((r) => (r.digest === newest.digest ? { ...r, release: newest.release } : { ...r }));
  const first = next[0] as RingState;
  if (first.digest !== newest.digest) next[0] = { release: newest.release, digest: newest.digest, offeredAt: now };
  for (let i = 0; i + 1 < next.length; i++) {
    const ring = next[i] as RingState;
    if ((next[i + 1] as RingState).digest === ring.digest) continue;
    const health = ringHealth(plan.rings[i] as Ring, ring.digest, agents.filter((a) => a.ring === i), everSeen[i] ?? 0, ring.offeredAt);
    if (!health.pass) {
      const { healthySince: _dropped, ...rest } = ring;
      next[i] = rest;
      continue;
    }
    const since = ring.healthySince ?? now;
    next[i] = { ...ring, healthySince: since };
    if (now - since >= (plan.rings[i] as Ring).soakMs) next[i + 1] = { release: ring.release, digest: ring.digest, offeredAt: now, promotedAt: now };
  }
  return next;
}
