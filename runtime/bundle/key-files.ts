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

/** Reads each key file and parses it, naming the file in any error (KeyFileError). */
async function readKeyFiles<K>(files: readonly string[], cwd: string, parse: (text: string) => K): Promise<K[]> {
  const keys: K[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(path.resolve(cwd, file), 'utf8');
    } catch {
      throw new KeyFileError(`cannot read key file \`${file}\``);
    }
    try {
      keys.push(parse(text));
    } catch (error) {
      throw new KeyFileError(`\`${file}\`: ${(error as Error).message}`);
    }
  }
  return keys;
}

/** Reads private signing keys (PREFIX.key files). */
export function readSigningKeys(files: readonly string[], cwd: string): Promise<SigningKey[]> {
  return readKeyFiles(files, cwd, parseSigningKey);
}

/** Reads public keys from PREFIX.pub files (or derives them from PREFIX.key files). */
export function readPublicKeys(files: readonly string[], cwd: string): Promise<PublicKey[]> {
  return readKeyFiles(files, cwd, parsePublicKey);
}
