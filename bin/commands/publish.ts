import path from 'node:path';
import { parseOciRef, pushRepository } from '../../runtime/oci.js';
import { EXIT, parseCommandArgs, UsageError, writeLine, type Command } from '../command.js';
import { publishSpec } from './publish-spec.js';

/** `vigil publish`: pushes a signed repository to an OCI registry. */
export const publishCommand: Command = {
  ...publishSpec,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { oci: { type: 'string' }, https: { type: 'boolean', default: false } });
    if (positionals.length !== 1) throw new UsageError('give exactly one OUT directory');
    if (!values.oci) throw new UsageError('--oci HOST:PORT/REPO:TAG is required');
    const ref = parseOciRef(values.oci);
    if (typeof ref === 'string') throw new UsageError(ref);
    const result = await pushRepository(path.resolve(io.cwd, positionals[0] as string), ref, { scheme: values.https ? 'https' : 'http' });
    if ('problem' in result) {
      writeLine(io.stderr, `error: cannot publish to ${values.oci}: ${result.problem}`);
      return EXIT.failed;
    }
    writeLine(io.stdout, `published ${positionals[0]} to ${values.oci} (${result.files} files, manifest ${result.digest})`);
    return EXIT.ok;
  },
};
