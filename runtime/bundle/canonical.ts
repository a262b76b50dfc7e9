// RFC 8785 JSON Canonicalization Scheme: https://www.rfc-editor.org/rfc/rfc8785
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The RFC 8785 canonical text of a JSON value; throws on values JSON cannot represent. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}

/** The RFC 8785 canonical UTF-8 bytes of a JSON value: the one wire form of every Vigil file. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(canonicalJson(value), 'utf8'));
}

/** Lower-case hex SHA-256 of raw bytes. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Parses UTF-8 JSON bytes; only call this on bytes whose digest or signature was already checked. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
}
