import type { CommandSpec } from '../command.js';

/** `vigil publish`: what `vigil --help` and `vigil publish --help` print, loaded without the command. */
export const publishSpec: CommandSpec = {
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
};
