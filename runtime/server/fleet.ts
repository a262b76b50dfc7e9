/**
 * The fleet as the server sees it: the last report of every host, which ring each host is in,
 * which bundle each ring of each group is approved for (advanced by runtime/rollout.ts), and the
 * hosts that drift from their ring's approved bundle.
 */
import { advance, planFromRollout, ringHealth, ringOf, stages, type AgentView, type RingState, type RolloutPlan } from '../rollout.js';
import { normalizeHost, type AgentStatus } from '../status.js';
import type { Release, ReleaseStore } from './releases.js';

/** One host's entry. */
interface Entry {
  readonly status: AgentStatus;
  readonly lastSeen: number;
  /** The report's size as JSON, counted against MAX_REPORT_BYTES. */
  readonly bytes: number;
}

/** One host in `GET /status`. */
export interface HostView extends AgentStatus {
  /** The ring the server places the host in (rollout), if any. */
  readonly assignedRing?: string;
  readonly lastSeen: string;
  readonly alive: boolean;
  /** The bundle digest the host's ring is approved for. */
  readonly approved?: string;
  /** True when the host runs something other than its ring's approved bundle. */
  readonly drift: boolean;
}

/**
 * Hosts kept at most (status reports are not authenticated: made-up host names must not grow the
 * table without end). A report from a new host beyond it drops the host heard from longest ago;
 * a real agent that reports again comes back.
 */
export const MAX_HOSTS = 50_000;
/** The reports kept, together, at most (each is at most 64 KiB; most are about 1 KiB). */
export const MAX_REPORT_BYTES = 256 << 20;

/** How long past its poll interval an agent may stay silent and still count as alive. */
const ALIVE_FACTOR = 3;
const ALIVE_SLACK_MS = 5_000;

/** Tracks reports and rollout state. */
export class Fleet {
  private readonly hosts = new Map<string, Entry>();
  /** The size of the reports kept. */
  private bytes = 0;
  private readonly rings = new Map<string, RingState[]>();
  /** group → ring index → hosts that ever reported there. */
  private readonly seen = new Map<string, Set<string>[]>();

  private readonly compiled = new Map<string, RolloutPlan | undefined>();

  /** `override` (serve --rollout) stages every group it names; otherwise each group's bundle carries its Rollout. */
  constructor(private readonly releases: ReleaseStore, private readonly override: RolloutPlan | undefined, private readonly maxHosts = MAX_HOSTS, private readonly maxBytes = MAX_REPORT_BYTES) {}

  /** The plan that stages a group, if any. */
  planOf(group: string | undefined): RolloutPlan | undefined {
    if (group === undefined) return undefined;
    if (this.override) return stages(this.override, group) ? this.override : undefined;
    const latest = this.releases.latest();
    const raw = latest?.bundles.get(group)?.rollout as { name?: unknown; spec?: unknown } | undefined;
    if (!latest || !raw) return undefined;
    const key = `${latest.id}/${group}`;
    if (!this.compiled.has(key)) {
      const plan = planFromRollout({ kind: 'Rollout', metadata: { name: raw.name }, spec: raw.spec });
      this.compiled.set(key, typeof plan === 'string' ? undefined : { ...plan, groups: [group] });
    }
    return this.compiled.get(key);
  }

  /** The ring index of a host in a group, when a plan stages the group. */
  ringIndex(group: string | undefined, host: string | undefined): number | undefined {
    const plan = this.planOf(group);
    return plan ? ringOf(plan, host) : undefined;
  }

  /** The release offered to an agent of `group` named `host`. */
  releaseFor(group: string | undefined, host: string | undefined): Release | undefined {
    const latest = this.releases.latest();
    const index = this.ringIndex(group, host);
    if (index === undefined || group === undefined) return latest;
    const ring = this.rings.get(group)?.[index];
    return (ring && this.releases.get(ring.release)) ?? latest;
  }

  /** The ring name of a host, for the `X-Vigil-Ring` header. */
  ringName(group: string | undefined, host: string | undefined): string | undefined {
    const index = this.ringIndex(group, host);
    return index === undefined ? undefined : this.planOf(group)?.rings[index]?.name;
  }

  /** Records a report. */
  report(status: AgentStatus, now: number): void {
    const host = normalizeHost(status.host);
    // Kept in the order hosts were last heard from (re-inserted on each report): the first is the one to drop.
    const bytes = JSON.stringify(status).length;
    this.forget(host);
    while (this.hosts.size > 0 && (this.hosts.size >= this.maxHosts || this.bytes + bytes > this.maxBytes)) this.forget(this.hosts.keys().next().value as string);
    this.hosts.set(host, { status, lastSeen: now, bytes });
    this.bytes += bytes;
    const index = this.ringIndex(status.group, host);
    const plan = this.planOf(status.group);
    if (index === undefined || !plan) return;
    const perRing = this.seen.get(status.group) ?? plan.rings.map(() => new Set<string>());
    // Only whether a ring ever had agents matters (its default gate), and how many up to the bound.
    const ring = perRing[index];
    if (ring && ring.size < this.maxHosts) ring.add(host);
    this.seen.set(status.group, perRing);
  }

  private forget(host: string): void {
    const entry = this.hosts.get(host);
    if (!entry) return;
    this.hosts.delete(host);
    this.bytes -= entry.bytes;
  }

  private alive(entry: Entry, now: number): boolean {
    return now - entry.lastSeen <= entry.status.pollIntervalMs * ALIVE_FACTOR + ALIVE_SLACK_MS;
  }

  private views(group: string, now: number): AgentView[] {
    const out: AgentView[] = [];
    for (const [host, e] of this.hosts) {
      if (e.status.group !== group) continue;
      out.push({
        host, ring: this.ringIndex(group, host) ?? 0, alive: this.alive(e, now), lastSeen: e.lastSeen, selfTest: e.status.selfTest, errorBurst: e.status.errorBurst,
        ...(e.status.bundle ? { digest: e.status.bundle.digest } : {}),
        ...(e.status.reverted ? { revertedFrom: e.status.reverted.from } : {}),
        ...(e.status.refused ? { refusedDigest: e.status.refused.digest } : {}),
      });
    }
    return out;
  }

  /** Advances every staged group's rollout; then forgets releases no ring needs. */
  tick(now: number): void {
    const latest = this.releases.latest();
    if (!latest) return;
    const needed = new Set<string>([latest.id]);
    for (const [group, bundle] of latest.bundles) {
      const plan = this.planOf(group);
      if (!plan) continue;
      const everSeen = (this.seen.get(group) ?? []).map((s) => s.size);
      const next = advance(plan, this.rings.get(group), { release: latest.id, digest: bundle.digest }, this.views(group, now), everSeen, now);
      this.rings.set(group, next);
      for (const r of next) needed.add(r.release);
    }
    this.releases.retain(needed);
  }

  /** The approved digest for a host of a group. */
  private approved(group: string, host: string): string | undefined {
    return this.releaseFor(group, host)?.bundles.get(group)?.digest;
  }

  /** The fleet's state for `GET /status`. */
  snapshot(now: number): object {
    const latest = this.releases.latest();
    const hosts: HostView[] = [...this.hosts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([host, e]) => {
      const approved = this.approved(e.status.group, host);
      const assignedRing = this.ringName(e.status.group, host);
      return {
        ...e.status, ...(assignedRing ? { assignedRing } : {}), lastSeen: new Date(e.lastSeen).toISOString(), alive: this.alive(e, now),
        ...(approved ? { approved } : {}), drift: approved !== undefined && e.status.bundle?.digest !== approved,
      };
    });
    const groups: Record<string, object> = {};
    for (const [group, bundle] of latest?.bundles ?? []) {
      const states = this.rings.get(group);
      const views = this.views(group, now);
      const plan = this.planOf(group);
      groups[group] = {
        latest: bundle.digest,
        ...(plan ? { rollout: plan.name } : {}),
        ...(states && plan ? {
          rings: states.map((s, i) => {
            const ring = plan.rings[i];
            const health = ring ? ringHealth(ring, s.digest, views.filter((v) => v.ring === i), this.seen.get(group)?.[i]?.size ?? 0, s.offeredAt) : undefined;
            return {
              name: ring?.name, release: s.release, digest: s.digest, offeredAt: new Date(s.offeredAt).toISOString(),
              ...(s.healthySince !== undefined ? { healthySince: new Date(s.healthySince).toISOString() } : {}), health,
            };
          }),
        } : {}),
      };
    }
    return {
      generatedAt: new Date(now).toISOString(),
      release: latest ? { id: latest.id, timestampVersion: latest.timestampVersion, targetsVersion: latest.targetsVersion } : null,
      releases: this.releases.all().map((r) => ({ id: r.id, timestampVersion: r.timestampVersion, targetsVersion: r.targetsVersion, loadedAt: new Date(r.loadedAt).toISOString() })),
      groups,
      hosts,
    };
  }
}
