import type Database from 'better-sqlite3';
import type { StateEntry, StateSpace, StateStore } from '../engine/policy-state.js';
import { openStore, type Store } from './store.js';

/**
 * The policy engine's StateStore in SQLite (table `engine_state`, migration 2): threat-score
 * windows, chain progress, anomaly baselines and the watermark survive a restart. Every write
 * is its own statement, so what the engine has acted on is on disk before the next event
 * (WAL with synchronous=NORMAL: a crash keeps it, a power loss may drop the last few).
 * `expires` NULL stands for "never" (baselines), since JSON and SQLite have no Infinity.
 */
export class SqliteStateStore implements StateStore {
  private readonly getStmt: Database.Statement<[string, string, string], string | undefined>;
  private readonly putStmt: Database.Statement<[string, string, string, string, number | null]>;
  private readonly delStmt: Database.Statement<[string, string, string]>;
  private readonly evictStmt: Database.Statement<[number]>;
  private readonly countAll: Database.Statement<[], number>;
  private readonly countSpace: Database.Statement<[string], number>;
  private readonly listSpace: Database.Statement<[string], Row>;
  private readonly listPolicy: Database.Statement<[string, string], Row>;

  constructor(readonly db: Database.Database) {
    this.getStmt = db.prepare<[string, string, string], string | undefined>('SELECT value FROM engine_state WHERE space = ? AND policy = ? AND key = ?').pluck() as never;
    this.putStmt = db.prepare('INSERT INTO engine_state (space, policy, key, value, expires) VALUES (?, ?, ?, ?, ?) ON CONFLICT (space, policy, key) DO UPDATE SET value = excluded.value, expires = excluded.expires');
    this.delStmt = db.prepare('DELETE FROM engine_state WHERE space = ? AND policy = ? AND key = ?');
    this.evictStmt = db.prepare('DELETE FROM engine_state WHERE expires IS NOT NULL AND expires < ?');
    this.countAll = db.prepare<[], number>('SELECT count(*) FROM engine_state').pluck() as never;
    this.countSpace = db.prepare<[string], number>('SELECT count(*) FROM engine_state WHERE space = ?').pluck() as never;
    this.listSpace = db.prepare('SELECT space, policy, key, value, expires FROM engine_state WHERE space = ? ORDER BY policy, key');
    this.listPolicy = db.prepare('SELECT space, policy, key, value, expires FROM engine_state WHERE space = ? AND policy = ? ORDER BY key');
  }

  /** Reads an entry's value. */
  get(space: StateSpace, policy: string, key: string): string | undefined {
    return this.getStmt.get(space, policy, key) ?? undefined;
  }

  /** Writes an entry. */
  put(space: StateSpace, policy: string, key: string, value: string, expires: number): void {
    this.putStmt.run(space, policy, key, value, Number.isFinite(expires) ? expires : null);
  }

  /** Deletes an entry. */
  delete(space: StateSpace, policy: string, key: string): void {
    this.delStmt.run(space, policy, key);
  }

  /** Drops expired entries. */
  evict(time: number): number {
    return this.evictStmt.run(time).changes;
  }

  /** Counts entries. */
  count(space?: StateSpace): number {
    return space === undefined ? this.countAll.get()! : this.countSpace.get(space)!;
  }

  /** Runs fn in one transaction, so an event's writes commit together (and once). */
  batch<T>(fn: () => T): T {
    // IMMEDIATE takes the write lock up front: another connection (the receiver thread) may be writing.
    return this.db.transaction(fn).immediate();
  }

  /** Lists entries of a space. */
  entries(space: StateSpace, policy?: string): StateEntry[] {
    const rows = policy === undefined ? this.listSpace.all(space) : this.listPolicy.all(space, policy);
    return rows.map((r) => ({ space: r.space as StateSpace, policy: r.policy, key: r.key, value: r.value, expires: r.expires ?? Number.POSITIVE_INFINITY }));
  }
}

interface Row {
  readonly space: string;
  readonly policy: string;
  readonly key: string;
  readonly value: string;
  readonly expires: number | null;
}

/** An open engine state: the store and how to close the database behind it. */
export interface EngineState {
  readonly store: SqliteStateStore;
  readonly file: string;
  close(): void;
}

/** Opens (creating and migrating) `state.db` in a state directory for the policy engine. */
export function openEngineState(dir: string): EngineState {
  const s: Store = openStore(dir);
  return { store: new SqliteStateStore(s.db), file: s.path, close: () => s.close() };
}
