/**
 * Where the policy engine keeps what must outlive a restart: threat-score windows, chain
 * progress, anomaly baselines and the event-time watermark. The engine only sees this small
 * key-value interface, so it stays pure; runtime/state/engine-state.ts stores the same entries
 * in SQLite. Values are JSON text; `expires` is in event time (epoch ms), never wall-clock time.
 */

/** The kinds of state entries. */
export type StateSpace = 'score' | 'chain' | 'seen' | 'learn' | 'meta';

/** One stored entry. */
export interface StateEntry {
  readonly space: StateSpace;
  readonly policy: string;
  readonly key: string;
  readonly value: string;
  /** Event time after which the entry is no longer needed; Infinity for baselines. */
  readonly expires: number;
}

/** The policy engine's persistence port. */
export interface StateStore {
  get(space: StateSpace, policy: string, key: string): string | undefined;
  put(space: StateSpace, policy: string, key: string, value: string, expires: number): void;
  delete(space: StateSpace, policy: string, key: string): void;
  /** Removes every entry whose `expires` is before `time`; returns how many were removed. */
  evict(time: number): number;
  /** Number of entries held (for bounds checks and the benchmark). */
  count(space?: StateSpace): number;
  /** Every entry of a space, optionally of one policy, sorted by policy then key. */
  entries(space: StateSpace, policy?: string): StateEntry[];
  /** Runs the writes of one event together (one SQLite transaction); stores without transactions just call fn. */
  batch?<T>(fn: () => T): T;
}

const slot = (space: StateSpace, policy: string, key: string): string => `${space}\u0000${policy}\u0000${key}`;

/** A StateStore in memory: what `vigil eval` and the tests use when nothing has to survive the process. */
export class MemoryStateStore implements StateStore {
  private readonly map = new Map<string, StateEntry>();

  /** Reads an entry's value. */
  get(space: StateSpace, policy: string, key: string): string | undefined {
    return this.map.get(slot(space, policy, key))?.value;
  }

  /** Writes an entry. */
  put(space: StateSpace, policy: string, key: string, value: string, expires: number): void {
    this.map.set(slot(space, policy, key), { space, policy, key, value, expires });
  }

  /** Deletes an entry. */
  delete(space: StateSpace, policy: string, key: string): void {
    this.map.delete(slot(space, policy, key));
  }

  /** Drops expired entries. */
  evict(time: number): number {
    let n = 0;
    for (const [k, e] of this.map) {
      if (e.expires < time) {
        this.map.delete(k);
        n++;
      }
    }
    return n;
  }

  /** Counts entries. */
  count(space?: StateSpace): number {
    if (space === undefined) return this.map.size;
    let n = 0;
    for (const e of this.map.values()) if (e.space === space) n++;
    return n;
  }

  /** Lists entries of a space. */
  entries(space: StateSpace, policy?: string): StateEntry[] {
    const out = [...this.map.values()].filter((e) => e.space === space && (policy === undefined || e.policy === policy));
    return out.sort((a, b) => (a.policy === b.policy ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.policy < b.policy ? -1 : 1));
  }
}
