import type Database from 'better-sqlite3';
import type { BaselinePersistence, BaselineRow } from './baseline.js';

/**
 * Keeps the collector's global baseline in SQLite (table `collector_baseline`, migration 2 of
 * runtime/state/migrations.ts); the collector passes the handle of its open state database.
 */
export class SqliteBaselinePersistence implements BaselinePersistence {
  private readonly saveStmt: Database.Statement<[string, string, string, string, number, number, string, number]>;

  constructor(private readonly db: Database.Database) {
    this.saveStmt = db.prepare(
      'INSERT INTO collector_baseline (policy, tuple, relationship, first_host, first_seen, last_seen, hosts, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (policy, tuple) DO UPDATE SET last_seen = excluded.last_seen, hosts = excluded.hosts, count = excluded.count',
    );
  }

  /** Every stored row. */
  load(): BaselineRow[] {
    const rows = this.db.prepare('SELECT policy, tuple, relationship, first_host, first_seen, last_seen, hosts, count FROM collector_baseline ORDER BY policy, tuple').all() as {
      policy: string; tuple: string; relationship: string; first_host: string; first_seen: number; last_seen: number; hosts: string; count: number;
    }[];
    return rows.map((r) => ({
      policy: r.policy,
      relationship: r.relationship,
      values: JSON.parse(r.tuple) as Record<string, string>,
      firstHost: r.first_host,
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      hosts: JSON.parse(r.hosts) as string[],
      count: r.count,
    }));
  }

  /** Inserts or updates one row. */
  save(row: BaselineRow): void {
    const sorted: Record<string, string> = {};
    for (const k of Object.keys(row.values).sort()) sorted[k] = row.values[k]!;
    this.saveStmt.run(row.policy, JSON.stringify(sorted), row.relationship, row.firstHost, row.firstSeen, row.lastSeen, JSON.stringify(row.hosts), row.count);
  }
}
