import type { CommandSpec } from '../command.js';

const ROLE_HELP = `  --keys KEY...            private keys (PREFIX.key) that hold the root role and sign this root;
                           they also hold every other role unless --<role>-keys is given
  --threshold N            signatures required for the root role (default 1)
  --targets-keys KEY...    keys (PREFIX.pub or .key) of the targets role, e.g. CI and a release approver
  --targets-threshold N    e.g. 2: CI signs at compile, the approver adds a signature with \`vigil sign\`
  --snapshot-keys, --snapshot-threshold, --timestamp-keys, --timestamp-threshold   likewise
  --expires DATE           root expiry (ISO 8601; default one year from now)
  --out TRUST              where to write the signed root metadata`;

/** `vigil trust init`: what `vigil --help` and `vigil trust init --help` print, loaded without the command. */
export const trustInitSpec: CommandSpec = {
  name: 'trust init',
  summary: 'write the first signed TUF root that agents pin',
  help: `Usage: vigil trust init --keys KEY... [--threshold N] --out TRUST [options]

${ROLE_HELP}

Examples:
  vigil trust init --keys keys/root.key --out trust/root.json
  vigil trust init --keys keys/root.key --targets-keys keys/ci.pub,keys/approver.pub --targets-threshold 2 --snapshot-keys keys/ci.pub --timestamp-keys keys/ci.pub --out trust/root.json`,
};

/** `vigil trust rotate`: what `vigil --help` and `vigil trust rotate --help` print, loaded without the command. */
export const trustRotateSpec: CommandSpec = {
  name: 'trust rotate',
  summary: 'write the next root version (key rotation), chained to the current one',
  help: `Usage: vigil trust rotate --trust TRUST --keys KEY... --sign-with OLDKEY... [--threshold N] --out NEWTRUST [options]

  --trust TRUST            the current root metadata
  --sign-with OLDKEY...    private keys of the current root role (its threshold must be met)
${ROLE_HELP}

Copy the new root into OUT as N.root.json (\`vigil compile\` does this) so agents pinned to an
older root follow the chain; keys that the new root drops never count again.

Example:
  vigil trust rotate --trust trust/root.json --keys keys/root2.key --sign-with keys/root.key --out trust/root.json`,
};
