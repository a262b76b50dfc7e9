import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KeyFileError, listOption, readPublicKeys, readSigningKeys } from '../../runtime/bundle/key-files.js';
import type { PublicKey } from '../../runtime/bundle/keys.js';
import { DEFAULT_LIFETIMES, expiresAfter } from '../../runtime/bundle/metadata.js';
import { createRoot, rotateRoot, TOP_LEVEL_ROLES, TrustSpecError, type RootSpec } from '../../runtime/bundle/trust.js';
import { EXIT, parseCommandArgs, UsageError, writeLine, type Command } from '../command.js';
import { trustInitSpec, trustRotateSpec } from './trust-init-spec.js';

const ROLE_OPTIONS = {
  keys: { type: 'string', multiple: true },
  threshold: { type: 'string' },
  out: { type: 'string' },
  expires: { type: 'string' },
  'targets-keys': { type: 'string', multiple: true },
  'targets-threshold': { type: 'string' },
  'snapshot-keys': { type: 'string', multiple: true },
  'snapshot-threshold': { type: 'string' },
  'timestamp-keys': { type: 'string', multiple: true },
  'timestamp-threshold': { type: 'string' },
} as const;

/** Parses a threshold option. */
function threshold(value: string | undefined, name: string): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer`);
  return n;
}

/** Builds the role spec from the options; `rootKeys` hold every role not given its own keys. */
async function rootSpec(values: Record<string, unknown>, rootKeys: readonly PublicKey[], cwd: string): Promise<RootSpec> {
  const expires = values.expires === undefined ? expiresAfter(new Date(), DEFAULT_LIFETIMES.root) : new Date(String(values.expires));
  if (typeof expires !== 'string' && Number.isNaN(expires.getTime())) throw new UsageError('--expires must be a date (ISO 8601)');
  const spec: Record<string, unknown> = { expires: typeof expires === 'string' ? expires : expiresAfter(expires, 0) };
  for (const role of TOP_LEVEL_ROLES) {
    const files = role === 'root' ? [] : listOption(values[`${role}-keys`] as string[] | undefined);
    const keys = files.length > 0 ? await readPublicKeys(files, cwd) : rootKeys;
    spec[role] = { keys, threshold: threshold((role === 'root' ? values.threshold : values[`${role}-threshold`]) as string | undefined, role === 'root' ? 'threshold' : `${role}-threshold`) };
  }
  return spec as unknown as RootSpec;
}

/** Runs a root-writing command, turning key and spec errors into exit 1. */
async function writeRoot(io: Parameters<Command['run']>[1], out: string, make: () => Promise<Uint8Array>): Promise<number> {
  try {
    const bytes = await make();
    await writeFile(path.resolve(io.cwd, out), bytes);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof KeyFileError || error instanceof TrustSpecError) {
      writeLine(io.stderr, `error: ${error.message}`);
      return EXIT.failed;
    }
    throw error;
  }
}

/** `vigil trust init`: writes the first root metadata, which agents pin. */
export const trustInitCommand: Command = {
  ...trustInitSpec,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, ROLE_OPTIONS);
    // `--keys a.key b.key` leaves b.key as a positional; trust init takes no other positional.
    const keyFiles = [...listOption(values.keys), ...positionals];
    if (keyFiles.length === 0) throw new UsageError('--keys KEY... is required');
    if (!values.out) throw new UsageError('--out TRUST is required');
    const out = values.out;
    const code = await writeRoot(io, out, async () => {
      const signers = await readSigningKeys(keyFiles, io.cwd);
      return createRoot(await rootSpec(values, signers, io.cwd), signers);
    });
    if (code === EXIT.ok) writeLine(io.stdout, `wrote ${out}: root version 1`);
    return code;
  },
};

/** `vigil trust rotate`: writes root N+1, signed by the old root keys and the new ones (a chained root). */
export const trustRotateCommand: Command = {
  ...trustRotateSpec,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...ROLE_OPTIONS, trust: { type: 'string' }, 'sign-with': { type: 'string', multiple: true } });
    const keyFiles = [...listOption(values.keys), ...positionals];
    if (!values.trust || !values.out || keyFiles.length === 0) throw new UsageError('--trust, --keys and --out are required');
    const out = values.out;
    let previous: Uint8Array;
    try {
      previous = new Uint8Array(await readFile(path.resolve(io.cwd, values.trust)));
    } catch {
      writeLine(io.stderr, `error: cannot read trust root \`${values.trust}\``);
      return EXIT.failed;
    }
    const code = await writeRoot(io, out, async () => {
      const newKeys = await readSigningKeys(keyFiles, io.cwd);
      const oldKeys = await readSigningKeys(listOption(values['sign-with']), io.cwd);
      return rotateRoot(previous, await rootSpec(values, newKeys, io.cwd), [...oldKeys, ...newKeys]);
    });
    if (code === EXIT.ok) writeLine(io.stdout, `wrote ${out}: next root version`);
    return code;
  },
};
