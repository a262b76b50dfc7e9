import type { CommandSpec } from '../command.js';

/** `vigil secret seal`: what `vigil --help` and `vigil secret seal --help` print, loaded without the command. */
export const secretSealSpec: CommandSpec = {
  name: 'secret seal',
  summary: 'seal a credential secret to agent keys (age format)',
  help: `Usage: vigil secret seal --to RECIPIENT... [--in FILE] [--out FILE]

Reads the secret from stdin (or --in FILE), encrypts it to every recipient with age (X25519) and
writes the ASCII-armored result to stdout (or --out FILE), ready for a Credential's sealed value.
The secret is never printed, logged or echoed in errors. Open or rotate it with \`age\` or SOPS too.
  --to RECIPIENT   an age recipient (age1...) or a PREFIX.pub file from \`vigil keygen --kind agent\`

Example:
  printf %s "$AZURE_SECRET" | vigil secret seal --to keys/agent-dc01.pub --to keys/agent-dc02.pub --out sealed.age`,
};

/** `vigil secret open`: what `vigil --help` and `vigil secret open --help` print, loaded without the command. */
export const secretOpenSpec: CommandSpec = {
  name: 'secret open',
  summary: 'open a sealed secret with an agent key',
  help: `Usage: vigil secret open --key AGENT.key [--in FILE]

Decrypts an age-sealed secret (stdin or --in FILE) with an agent identity and writes the plaintext
to stdout.

Example:
  vigil secret open --key keys/agent-dc01.key --in sealed.age`,
};
