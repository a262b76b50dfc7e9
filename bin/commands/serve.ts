import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadValidators, validatorFor } from '../../compiler/stages/schema-registry.js';
import { planFromRollout, type RolloutPlan } from '../../runtime/rollout.js';
import { startServer } from '../../runtime/server/server.js';
import { GlobalBaseline } from '../../runtime/collector/baseline.js';
import { SqliteBaselinePersistence } from '../../runtime/collector/baseline-sqlite.js';
import { openStore, type Store } from '../../runtime/state/store.js';
import { EXIT, parseCommandArgs, UsageError, writeLine, type Command } from '../command.js';
import { untilSignal } from '../signals.js';
import { serveSpec } from './serve-spec.js';

const ROLLOUT_SCHEMA = 'https://vigil.dev/schema/v1/rollout.schema.json';

/** Reads the Rollout document of a policy file; returns the plan or a problem text. */
export async function readRollout(file: string): Promise<RolloutPlan | string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return `cannot read rollout file \`${file}\``;
  }
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return `\`${file}\` is not YAML`;
  const doc = docs.map((d) => d.toJS() as unknown).find((d) => (d as { kind?: unknown } | null)?.kind === 'Rollout');
  if (!doc) return `\`${file}\` holds no Rollout document`;
  await loadValidators([ROLLOUT_SCHEMA]);
  const validate = validatorFor(ROLLOUT_SCHEMA);
  if (validate && !validate(doc)) {
    const e = validate.errors?.[0];
    return `\`${file}\`: the Rollout is invalid at ${e?.instancePath || '/'}: ${e?.message ?? 'invalid'} (run \`vigil check\`)`;
  }
  return planFromRollout(doc);
}

/** `vigil serve`: serves a repository to agents, with rollout rings and the fleet's status. */
export const serveCommand: Command = {
  ...serveSpec,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      port: { type: 'string' }, host: { type: 'string' }, rollout: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, state: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one OUT directory');
    if (Boolean(values.cert) !== Boolean(values.key)) throw new UsageError('--cert and --key go together');
    const port = values.port === undefined ? (values.cert ? 8443 : 8080) : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number (0-65535)');
    const out = path.resolve(io.cwd, positionals[0] as string);
    let rollout: RolloutPlan | undefined;
    if (values.rollout) {
      const plan = await readRollout(path.resolve(io.cwd, values.rollout));
      if (typeof plan === 'string') {
        writeLine(io.stderr, `error: ${plan}`);
        return EXIT.failed;
      }
      rollout = plan;
    }
    let tls: { cert: Buffer; key: Buffer } | undefined;
    if (values.cert && values.key) {
      try {
        tls = { cert: await readFile(path.resolve(io.cwd, values.cert)), key: await readFile(path.resolve(io.cwd, values.key)) };
      } catch {
        writeLine(io.stderr, 'error: cannot read the TLS certificate or key');
        return EXIT.failed;
      }
    }
    let store: Store | undefined;
    if (values.state) {
      try {
        store = openStore(path.resolve(io.cwd, values.state));
      } catch (error) {
        writeLine(io.stderr, `error: cannot open the collector state in \`${values.state}\`: ${(error as Error).message}`);
        return EXIT.failed;
      }
    }
    const baseline = new GlobalBaseline(store ? new SqliteBaselinePersistence(store.db) : undefined);
    let server;
    try {
      server = await startServer({ out, port, baseline, ...(values.host ? { host: values.host } : {}), ...(tls ? { tls } : {}), ...(rollout ? { rollout } : {}), log: (l) => writeLine(io.stderr, l) });
    } catch (error) {
      store?.close();
      writeLine(io.stderr, `error: cannot listen on port ${port}: ${(error as Error).message}`);
      return EXIT.failed;
    }
    writeLine(io.stdout, `vigil serve: listening on ${server.url} (serving ${positionals[0]}${rollout ? `, rollout \`${rollout.name}\`` : ''})`);
    await untilSignal();
    await server.close();
    store?.close();
    writeLine(io.stderr, 'vigil serve: stopped');
    return EXIT.ok;
  },
};
