/** Reading key files named on the command line; errors name the file and never echo its content. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parsePublicKey, parseSigningKey, type PublicKey, type SigningKey } from './keys.js';

/** A key file that could not be read or understood; the message names the file, never its content. */
export class KeyFileError extends Error {}

/** Splits repeated and comma-separated option values into one list. */
export function listOption(values: readonly string[] | string | undefined): string[] {
  const all = values === undefined ? [] : typeof values === 'string' ? [values] : [...values];
  return all.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** Reads private signing keys (PREFIX.key files). */
export async function readSigningKeys(files: readonly string[], cwd: string): Promise<SigningKey[]> {
  const keys: SigningKey[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(path.resolve(cwd, file), 'utf8');
    } catch {
      throw new KeyFileError(`cannot read key file \`${file}\``);
    }
    try {
      keys.push(parseSigningKey(text));
    } catch (error) {
      throw new KeyFileError(`\`${file}\`: ${(error as Error).message}`);
    }
  }
  return keys;
}

/** Reads public keys from PREFIX.pub files (or derives them from PREFIX.key files). */
export async function readPublicKeys(files: readonly string[], cwd: string): Promise<PublicKey[]> {
  const keys: PublicKey[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(path.resolve(cwd, file), 'utf8');
    } catch {
      throw new KeyFileError(`cannot read key file \`${file}\``);
    }
    try {
      keys.push(parsePublicKey(text));
    } catch (error) {
      throw new KeyFileError(`\`${file}\`: ${(error as Error).message}`);
    }
  }
  return keys;
}
