import type { CommandSpec } from '../command.js';

/** `vigil verify`: what `vigil --help` and `vigil verify --help` print, loaded without the command. */
export const verifySpec: CommandSpec = {
  name: 'verify',
  summary: 'verify a signed repository or one bundle against a pinned trust root',
  help: `Usage: vigil verify OUT|BUNDLE --trust TRUST [--group G] [--state DIR] [--format text|json]

Runs the TUF client workflow (tuf-js) over OUT, checks every target's length and sha256 before
parsing it, each bundle's group, IR version and provenance, and that every file in OUT is covered
by a signature. Exit 0 when valid, 1 when refused (each reason has a VR1xxx code).
  --trust TRUST   the pinned root metadata (from \`vigil trust init\`)
  --group G       refuse any bundle not meant for host group G
  --state DIR     trusted-metadata cache, as an agent keeps it: enables rollback protection
  --format        text (default) or json (one refusal per line)

Examples:
  vigil verify out --trust trust/root.json
  vigil verify out/targets/groups/dc/bundle.json --trust trust/root.json --group dc`,
};
