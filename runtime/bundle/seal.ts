/**
 * Sealed credentials in the age format (https://age-encryption.org/v1), through the age-encryption
 * package: a secret encrypted to one or more X25519 recipients (`age1…`), ASCII-armored so it can live
 * in YAML, git and bundles, and be opened or rotated with the standard `age` and SOPS tools.
 * Sealing uses a random file key, so it is not deterministic; compile only copies sealed text.
 */
import { armor, Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';

/** Sealing or opening failed; the message never contains secret material. */
export class SealError extends Error {}

const RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;
const IDENTITY = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/;

/** True for an X25519 age recipient (`age1…`). */
export function isRecipient(text: string): boolean {
  return RECIPIENT.test(text);
}

/** A fresh agent key: an age X25519 identity and its recipient, with the two file contents. */
export async function generateAgentKey(): Promise<{ identity: string; recipient: string; privateText: string; publicText: string }> {
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  // The `# public key:` comment line is what age-keygen writes; age and SOPS skip `#` lines.
  return { identity, recipient, privateText: `# public key: ${recipient}\n${identity}\n`, publicText: `${recipient}\n` };
}

/** Finds the identity line of an age identity file (comments and blank lines skipped). */
export function parseIdentity(text: string): string {
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (!line || !IDENTITY.test(line)) throw new SealError('expected an age identity file (AGE-SECRET-KEY-1…)');
  return line;
}

/** Finds the recipient in a PREFIX.pub file or a bare `age1…` string. */
export function parseRecipient(text: string): string {
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (!line || !isRecipient(line)) throw new SealError('expected an age X25519 recipient (age1…)');
  return line;
}

/** Encrypts a secret to every recipient; returns the ASCII-armored age file. */
export async function sealSecret(secret: Uint8Array | string, recipients: readonly string[]): Promise<string> {
  if (recipients.length === 0) throw new SealError('at least one recipient is required');
  const encrypter = new Encrypter();
  for (const r of [...new Set(recipients)].sort()) {
    if (!isRecipient(r)) throw new SealError('a recipient is not an age X25519 recipient (age1…)');
    encrypter.addRecipient(r);
  }
  return armor.encode(await encrypter.encrypt(secret));
}

/** Opens an armored (or binary) age file with an identity; throws SealError without echoing any content. */
export async function openSecret(sealed: string | Uint8Array, identity: string): Promise<Uint8Array> {
  const decrypter = new Decrypter();
  decrypter.addIdentity(identity);
  try {
    const bytes = typeof sealed === 'string' ? armor.decode(sealed.trim() + '\n') : sealed;
    return await decrypter.decrypt(bytes);
  } catch {
    throw new SealError('the sealed secret could not be opened with this identity');
  }
}
