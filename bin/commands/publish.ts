import path from 'node:path';
import { parseOciRef, pushRepository } from '../../runtime/oci.js';
import { EXIT, parseCommandArgs, UsageError, writeLine, type Command } from '../command.js';

/** `vigil publish`: pushes a signed repository to an OCI registry. */
export const publishCommand: Command = {
  name: 'publish',
  summary: 'push a signed repository to an OCI registry, for agents to pull with --server oci://',
  help: `Usage: vigil publish OUT --oci HOST:PORT/REPO:TAG [--https]

Pushes every file of OUT (TUF metadata, bundles, provenance) as the layers of one OCI image
manifest (artifactType ${'application/vnd.vigil.repository.v1'}), each layer titled by its path, and
tags it. Agents pull it with \`vigil agent --server oci://HOST:PORT/REPO:TAG\` and verify it exactly
as over HTTP: the registry and its mirrors are carriers, never trusted.
  --oci REF   where to push: registry host:port, repository, tag
  --https     talk to the registry over HTTPS (default: plain HTTP, for a registry on 127.0.0.1)

Example:
  vigil publish out --oci 127.0.0.1:5000/vigil/policy:main`,
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
