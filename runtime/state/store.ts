/**
 * The agent's state: one SQLite file (`state.db`) in its state directory, opened in WAL mode so
 * readers never block the writer, with the schema brought up to date by runtime/state/migrations.ts.
 * `synchronous=NORMAL` in WAL mode keeps every committed transaction across a process crash or
 * restart (a power loss may drop the last few commits, never corrupt the file).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations.js';

/** An open state database. */
export interface Store {
  readonly db: Database.Database;
  readonly path: string;
  /** Schema version after migrations ran. */
  readonly version: number;
  close(): void;
}

/** The state file was written by a newer agent (a schema version this agent does not know). */
export class StoreVersionError extends Error {}

/** Runs the migrations newer than the database's `user_version`, each in its own transaction. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  let current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new StoreVersionError(`state database is at schema version ${current}, newer than this agent's ${migrations.length}`);
  }
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
    current = m.version;
  }
  return current;
}

/** Opens (creating if needed) `state.db` in `dir` and migrates it. */
export function openStore(dir: string, migrations: readonly Migration[] = MIGRATIONS): Store {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'state.db');
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    const version = migrate(db, migrations);
    return { db, path: file, version, close: () => db.close() };
  } catch (error) {
    db.close();
    throw error;
  }
}
