import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, type Migration } from '../../../runtime/state/migrations.js';
import { openStore, StoreVersionError } from '../../../runtime/state/store.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'vigil-store-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('openStore', () => {
  it('creates state.db in WAL mode with every migration applied', () => {
    const store = openStore(path.join(tempDir(), 'state'));
    expect(store.version).toBe(MIGRATIONS.length);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['azure_checkpoints', 'hec_spool', 'outbox', 'source_offsets']));
    store.close();
  });

  it('keeps data across reopen and runs only migrations appended since', () => {
    const dir = tempDir();
    const first = openStore(dir);
    first.db.prepare('INSERT INTO outbox (action, payload, next_attempt_at, created_at) VALUES (?, ?, 0, 0)').run('a', '{}');
    first.close();
    const extra: Migration = { version: MIGRATIONS.length + 1, name: 'test-extra', sql: 'CREATE TABLE test_extra (x INTEGER)' };
    const second = openStore(dir, [...MIGRATIONS, extra]);
    expect(second.version).toBe(MIGRATIONS.length + 1);
    expect(second.db.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(1);
    second.close();
  });

  it('refuses a database written by a newer agent, and a misnumbered migration list', () => {
    const dir = tempDir();
    openStore(dir, [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'future', sql: 'SELECT 1' }]).close();
    expect(() => openStore(dir)).toThrow(StoreVersionError);
    expect(() => openStore(tempDir(), [{ version: 2, name: 'gap', sql: 'SELECT 1' }])).toThrow(/expected 1/);
  });
});
