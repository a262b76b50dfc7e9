/**
 * Key files. A signing key is Ed25519:
 *   PREFIX.key  PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), readable by openssl and node:crypto
 *   PREFIX.pub  the TUF public key object plus its keyid, as RFC 8785 JSON:
 *               {"keyid":"<hex>","keytype":"ed25519","keyval":{"public":"<64 hex>"},"scheme":"ed25519"}
 * An agent key is an age X25519 identity (see seal.ts). The TUF keyid is the SHA-256 of the canonical
 * JSON of {keytype, keyval, scheme} (for these ASCII-only objects RFC 8785 and TUF's canonical JSON agree).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { Key } from '@tufjs/models';
import { canonicalBytes, canonicalJson, sha256Hex } from './canonical.js';

/** An Ed25519 public key as TUF names it. */
export interface PublicKey {
  readonly keyid: string;
  /** 32 raw bytes, lower-case hex (TUF's `keyval.public` for ed25519). */
  readonly publicHex: string;
}

/** An Ed25519 key pair able to sign TUF metadata and DSSE envelopes. */
export interface SigningKey extends PublicKey {
  readonly privateKey: KeyObject;
}

/** A key file's content could not be understood; the message never contains key material. */
export class KeyFormatError extends Error {}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The TUF keyid of an Ed25519 public key. */
export function keyIdOf(publicHex: string): string {
  return sha256Hex(canonicalBytes(tufKeyJson(publicHex)));
}

/** The TUF key object (without keyid) of an Ed25519 public key. */
export function tufKeyJson(publicHex: string): { keytype: 'ed25519'; scheme: 'ed25519'; keyval: { public: string } } {
  return { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicHex } };
}

/** The @tufjs/models Key of a public key. */
export function tufKey(key: PublicKey): Key {
  return new Key({ keyID: key.keyid, keyType: 'ed25519', scheme: 'ed25519', keyVal: { public: key.publicHex } });
}

/** Wraps a node:crypto Ed25519 private key. */
function fromPrivateKey(privateKey: KeyObject): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new KeyFormatError('not an Ed25519 private key');
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicHex = der.subarray(der.length - 32).toString('hex');
  return { keyid: keyIdOf(publicHex), publicHex, privateKey };
}

/** A fresh Ed25519 signing key with its two file contents. */
export function generateSigningKey(): { key: SigningKey; privateText: string; publicText: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const key = fromPrivateKey(privateKey);
  return { key, privateText: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicText: publicKeyText(key) };
}

/** The PREFIX.pub text of a key: canonical JSON and a newline. */
export function publicKeyText(key: PublicKey): string {
  return canonicalJson({ keyid: key.keyid, ...tufKeyJson(key.publicHex) }) + '\n';
}

/** Parses a PREFIX.key file (PKCS#8 PEM of an Ed25519 key). */
export function parseSigningKey(text: string): SigningKey {
  if (!text.includes('-----BEGIN PRIVATE KEY-----')) throw new KeyFormatError('expected a PKCS#8 PEM Ed25519 private key');
  try {
    return fromPrivateKey(createPrivateKey({ key: text, format: 'pem' }));
  } catch (error) {
    if (error instanceof KeyFormatError) throw error;
    throw new KeyFormatError('the private key PEM could not be read');
  }
}

/** Parses a public key from a PREFIX.pub file, or derives it from a PREFIX.key file. */
export function parsePublicKey(text: string): PublicKey {
  if (text.includes('PRIVATE KEY')) {
    const { keyid, publicHex } = parseSigningKey(text);
    return { keyid, publicHex };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new KeyFormatError('expected a Vigil public key (JSON with keyid, keytype, keyval)');
  }
  const obj = data as { keyid?: unknown; keytype?: unknown; scheme?: unknown; keyval?: { public?: unknown } };
  const publicHex = obj.keyval?.public;
  if (obj.keytype !== 'ed25519' || obj.scheme !== 'ed25519' || typeof publicHex !== 'string' || !/^[0-9a-f]{64}$/.test(publicHex)) {
    throw new KeyFormatError('expected an ed25519 public key with a 64-digit hex `keyval.public`');
  }
  const keyid = keyIdOf(publicHex);
  if (obj.keyid !== undefined && obj.keyid !== keyid) throw new KeyFormatError('the keyid does not match the public key');
  return { keyid, publicHex };
}

/** Signs bytes with Ed25519 (deterministic by construction, RFC 8032). */
export function signBytes(key: SigningKey, data: Uint8Array): Buffer {
  return sign(null, data, key.privateKey);
}

/** Signs bytes with an Ed25519 key on libuv's thread pool: several signatures then run on several cores. */
export function signBytesAsync(key: SigningKey, data: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => sign(null, data, key.privateKey, (error, signature) => (error ? reject(error) : resolve(signature))));
}

/** Checks an Ed25519 signature over bytes; false for any malformed input. */
export function verifyBytes(publicHex: string, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    const keyObject = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(publicHex, 'hex')]), format: 'der', type: 'spki' });
    return verify(null, data, keyObject, signature);
  } catch {
    return false;
  }
}
