import type { CommandSpec } from '../command.js';

const HELP = `Usage: vigil keygen --out PREFIX [--kind signing|agent] [--force]

Writes PREFIX.key (private, mode 0600) and PREFIX.pub.
  --kind signing  (default) an Ed25519 key for signing TUF metadata and provenance:
                  PREFIX.key is PKCS#8 PEM, PREFIX.pub the TUF public key as JSON with its keyid
  --kind agent    an age X25519 identity for opening sealed credentials:
                  PREFIX.key is an age identity file, PREFIX.pub the recipient (age1...)
  --force         overwrite existing files

Private key material is never printed. On Windows the files are written without POSIX modes.

Examples:
  vigil keygen --out keys/ci
  vigil keygen --out keys/agent-dc01 --kind agent`;

/** `vigil keygen`: what `vigil --help` and `vigil keygen --help` print, loaded without the command. */
export const keygenSpec: CommandSpec = {
  name: 'keygen',
  summary: 'generate a signing or agent key pair',
  help: HELP,
};
