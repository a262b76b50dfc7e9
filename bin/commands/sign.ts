import path from 'node:path';
import { KeyFileError, listOption, readSigningKeys } from '../../runtime/bundle/key-files.js';
import { readRepositoryState, writeArtifacts } from '../../runtime/bundle/repo-files.js';
import { signRepository } from '../../runtime/bundle/tuf-repo.js';
import { EXIT, parseCommandArgs, UsageError, writeLine, type Command } from '../command.js';
import { signSpec } from './sign-spec.js';

/** `vigil sign`: adds signatures to the roles each key holds; optionally refreshes the timestamp. */
export const signCommand: Command = {
  ...signSpec,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { key: { type: 'string', multiple: true }, 'refresh-timestamp': { type: 'boolean', default: false } });
    if (positionals.length !== 1) throw new UsageError('give exactly one OUT directory');
    const keyFiles = listOption(values.key);
    if (keyFiles.length === 0) throw new UsageError('--key KEY is required');
    const out = path.resolve(io.cwd, positionals[0] as string);
    let keys;
    try {
      keys = await readSigningKeys(keyFiles, io.cwd);
    } catch (error) {
      if (!(error instanceof KeyFileError)) throw error;
      writeLine(io.stderr, `error: ${error.message}`);
      return EXIT.failed;
    }
    const result = signRepository(await readRepositoryState(out), keys, values['refresh-timestamp'] ? { refreshAt: new Date() } : {});
    if (!result.ok) {
      for (const p of result.problems) writeLine(io.stderr, `error: ${p.message}`);
      return EXIT.failed;
    }
    await writeArtifacts(out, result.artifacts);
    writeLine(io.stdout, `signed ${positionals[0]} with ${keys.map((k) => k.keyid.slice(0, 12)).join(', ')}`);
    for (const p of result.pending) writeLine(io.stdout, `pending: \`${p.file}\` has ${p.have} of ${p.need} signature(s) for role \`${p.role}\``);
    return EXIT.ok;
  },
};
