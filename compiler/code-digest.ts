import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The digest of the bundled CLI's code, written beside its chunks by `npm run build`
 * (scripts/bundle-cli.ts) and read by the compile cache's fingerprint of the compiler
 * (compiler/cache.ts), which would otherwise hash 5 MB of chunks on every run.
 */

/** The file beside the chunks that holds the digest. */
export const CODE_DIGEST_FILE = 'code-digest.txt';

/** SHA-256 over every .js file of a folder: each file's name and bytes, by name. */
export function codeDigest(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.js')).sort()) hash.update(`\0${name}\0`).update(readFileSync(path.join(dir, name)));
  return hash.digest('hex');
}

/** The digest written beside the chunks in `dir`, if it is there and well-formed. */
export function writtenCodeDigest(dir: string): string | undefined {
  try {
    const text = readFileSync(path.join(dir, CODE_DIGEST_FILE), 'utf8').trim();
    return /^[0-9a-f]{64}$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
