import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateSigningKey } from '../../runtime/bundle/keys.js';
import { generateAgentKey } from '../../runtime/bundle/seal.js';
import { EXIT, parseCommandArgs, UsageError, writeLine, type Command } from '../command.js';
import { keygenSpec } from './keygen-spec.js';

/** Writes a file, failing if it exists unless forced; private files get mode 0600. */
async function writeKeyFile(file: string, text: string, mode: number, force: boolean): Promise<void> {
  await writeFile(file, text, { mode, flag: force ? 'w' : 'wx' });
  await chmod(file, mode); // also tightens a file that --force overwrote
}

/** `vigil keygen`: a signing (Ed25519) or agent (age X25519) key pair. */
export const keygenCommand: Command = {
  ...keygenSpec,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: 'string' },
      kind: { type: 'string', default: 'signing' },
      force: { type: 'boolean', default: false },
    }, false);
    if (positionals.length > 0) throw new UsageError('unexpected arguments');
    if (!values.out) throw new UsageError('--out PREFIX is required');
    if (values.kind !== 'signing' && values.kind !== 'agent') throw new UsageError(`--kind must be \`signing\` or \`agent\`, not \`${values.kind}\``);
    const prefix = path.resolve(io.cwd, values.out);
    const pair = values.kind === 'signing' ? generateSigningKey() : await generateAgentKey();
    try {
      await writeKeyFile(`${prefix}.key`, pair.privateText, 0o600, values.force === true);
      await writeKeyFile(`${prefix}.pub`, pair.publicText, 0o644, values.force === true);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      writeLine(io.stderr, code === 'EEXIST' ? `error: \`${values.out}.key\` or \`.pub\` already exists (use --force to replace it)` : `error: cannot write the key files: ${code ?? 'unknown error'}`);
      return EXIT.failed;
    }
    const id = 'key' in pair ? `keyid ${pair.key.keyid}` : `recipient ${pair.recipient}`;
    writeLine(io.stdout, `wrote ${values.out}.key (private, 0600) and ${values.out}.pub: ${values.kind} key, ${id}`);
    return EXIT.ok;
  },
};
