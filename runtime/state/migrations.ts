/**
 * The agent state database's schema, as numbered, append-only migrations. `PRAGMA user_version`
 * records how many have run; opening a store runs the rest, each in its own transaction.
 *
 * To add tables: append ONE new entry at the end with the next version number. Never edit,
 * reorder or remove an entry that has shipped (agents in the field have already run it), and
 * never reuse a table name another area owns. Prefix table names with the owning area
 * (`source_`, `hec_`, `outbox_`, `azure_`, …) so the list stays readable as it grows.
 */

/** One schema step: its version (1, 2, 3, … in order), a slug, and the SQL it runs. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every migration, in order. Append only. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sources-and-actions',
    sql: `
      -- Read position per file a source follows, keyed by file identity so a rotated (renamed)
      -- file resumes where it was; fingerprint detects identity reuse, state keeps header columns.
      CREATE TABLE source_offsets (
        source TEXT NOT NULL,
        file_id TEXT NOT NULL,
        path TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        offset INTEGER NOT NULL,
        line INTEGER NOT NULL,
        state TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (source, file_id)
      );
      -- Events the HTTP receiver acknowledged but the agent has not processed yet: one row per
      -- accepted request (a JSON array of normalized events), deleted only after processing.
      CREATE TABLE hec_spool (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL,
        count INTEGER NOT NULL,
        events TEXT NOT NULL,
        received_at INTEGER NOT NULL
      );
      -- Alerts waiting for an action to deliver them; removed only once delivered.
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        action TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX outbox_due ON outbox (next_attempt_at, id);
      -- How far each tenant's cloud log has been read.
      CREATE TABLE azure_checkpoints (
        source TEXT NOT NULL,
        tenant TEXT NOT NULL,
        last_time TEXT NOT NULL,
        last_ids TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (source, tenant)
      );
    `,
  },
  {
    version: 2,
    name: 'engine-state-and-collector-baseline',
    sql: `
      -- Policy engine state (runtime/state/engine-state.ts): threat-score windows, chain progress,
      -- anomaly baselines and learning starts, the event-time watermark. expires is event time in
      -- epoch ms (NULL: kept for good); rows past it are evicted so the table stays bounded.
      CREATE TABLE engine_state (
        space TEXT NOT NULL,
        policy TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        expires REAL,
        PRIMARY KEY (space, policy, key)
      ) WITHOUT ROWID;
      CREATE INDEX engine_state_expires ON engine_state (expires) WHERE expires IS NOT NULL;
      -- The collector's global anomaly baseline (runtime/collector/baseline-sqlite.ts): one row per
      -- policy and value tuple (without host), with the host that reported it first.
      CREATE TABLE collector_baseline (
        policy TEXT NOT NULL,
        tuple TEXT NOT NULL,
        relationship TEXT NOT NULL,
        first_host TEXT NOT NULL,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        hosts TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (policy, tuple)
      ) WITHOUT ROWID;
    `,
  },
];
