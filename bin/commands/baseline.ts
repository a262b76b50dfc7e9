import { existsSync } from 'node:fs';
import path from 'node:path';
import { EXIT, UsageError, parseCommandArgs, writeLine, type Command } from '../command.js';
import type { Io } from '../io.js';
import { baselineSpec } from './baseline-spec.js';

const RELATIONSHIPS = ['parent-child', 'user-process', 'process-dll', 'user-pipe'] as const;

/** \`vigil baseline export\`: the collector's global anomaly baseline as JSON. */
export const baselineCommand: Command = {
  ...baselineSpec,
  async run(argv: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, { state: { type: 'string' }, relationship: { type: 'string' } });
    if (positionals[0] !== 'export' || positionals.length !== 1) throw new UsageError('expected `vigil baseline export --state DIR`');
    if (values.state === undefined) throw new UsageError('--state is required');
    const rel = values.relationship;
    if (rel !== undefined && !(RELATIONSHIPS as readonly string[]).includes(rel)) throw new UsageError(`unknown relationship \`${rel}\` (expected one of: ${RELATIONSHIPS.join(', ')})`);
    const dir = path.resolve(io.cwd, values.state);
    if (!existsSync(path.join(dir, 'state.db'))) {
      writeLine(io.stderr, `error: no state database at \`${path.join(values.state, 'state.db')}\``);
      return EXIT.failed;
    }
    // The SQLite binding loads only for this command.
    const { openStore } = await import('../../runtime/state/store.js');
    const { GlobalBaseline } = await import('../../runtime/collector/baseline.js');
    const { SqliteBaselinePersistence } = await import('../../runtime/collector/baseline-sqlite.js');
    let store;
    try {
      store = openStore(dir);
    } catch (error) {
      writeLine(io.stderr, `error: cannot open \`${values.state}\`: ${(error as Error).message}`);
      return EXIT.failed;
    }
    try {
      const exported = new GlobalBaseline(new SqliteBaselinePersistence(store.db)).export();
      const out = rel === undefined ? exported : { version: exported.version, relationships: { [rel]: exported.relationships[rel as (typeof RELATIONSHIPS)[number]] } };
      io.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return EXIT.ok;
    } finally {
      store.close();
    }
  },
};
