/**
 * Reading and writing single TUF metadata files with @tufjs/models: canonical bytes,
 * deterministic signing, expiry arithmetic. Shared by the repository builder, `vigil sign`
 * and `vigil trust`.
 */
import { Metadata, MetadataKind, Root, Signature, Snapshot, Targets, Timestamp } from '@tufjs/models';
import { canonicalBytes, parseJsonBytes } from './canonical.js';
import { signBytes, type SigningKey } from './keys.js';

/** Any top-level TUF metadata. */
export type AnyMetadata = Metadata<Root> | Metadata<Targets> | Metadata<Snapshot> | Metadata<Timestamp>;

/** Role lifetimes in seconds; expiry = base time (the commit time) + lifetime. */
export interface Lifetimes {
  readonly root: number;
  readonly targets: number;
  readonly snapshot: number;
  readonly timestamp: number;
}

const DAY = 86_400;

/** Default lifetimes: root 1 year, targets 90 days, snapshot 30 days, timestamp 7 days. */
export const DEFAULT_LIFETIMES: Lifetimes = { root: 365 * DAY, targets: 90 * DAY, snapshot: 30 * DAY, timestamp: 7 * DAY };

/** A TUF expiry string (`YYYY-MM-DDTHH:MM:SSZ`, no fraction) `seconds` after `base`. */
export function expiresAfter(base: Date, seconds: number): string {
  const t = new Date(Math.floor(base.getTime() / 1000) * 1000 + seconds * 1000);
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The file bytes of metadata: RFC 8785 JSON with signatures sorted by keyid. */
export function metadataBytes(md: AnyMetadata): Uint8Array {
  const json = md.toJSON() as { signatures: { keyid: string }[] };
  json.signatures.sort((a, b) => (a.keyid < b.keyid ? -1 : a.keyid > b.keyid ? 1 : 0));
  return canonicalBytes(json);
}

/** Adds each key's signature to metadata (TUF signs the canonical JSON of `signed`). */
export function signMetadata(md: AnyMetadata, keys: readonly SigningKey[]): void {
  for (const key of keys) {
    md.sign((data) => new Signature({ keyID: key.keyid, sig: signBytes(key, data).toString('hex') }), true);
  }
}

/** Parses root metadata bytes; throws on malformed input. */
export function parseRoot(bytes: Uint8Array): Metadata<Root> {
  return Metadata.fromJSON(MetadataKind.Root, parseJsonBytes(bytes) as never);
}

/** Parses targets metadata bytes; throws on malformed input. */
export function parseTargets(bytes: Uint8Array): Metadata<Targets> {
  return Metadata.fromJSON(MetadataKind.Targets, parseJsonBytes(bytes) as never);
}

/** Parses snapshot metadata bytes; throws on malformed input. */
export function parseSnapshot(bytes: Uint8Array): Metadata<Snapshot> {
  return Metadata.fromJSON(MetadataKind.Snapshot, parseJsonBytes(bytes) as never);
}

/** Parses timestamp metadata bytes; throws on malformed input. */
export function parseTimestamp(bytes: Uint8Array): Metadata<Timestamp> {
  return Metadata.fromJSON(MetadataKind.Timestamp, parseJsonBytes(bytes) as never);
}

/** The keys among `keys` that the root lets sign `role`. */
export function keysForRole(root: Root, role: string, keys: readonly SigningKey[]): SigningKey[] {
  const allowed = new Set(root.roles[role]?.keyIDs ?? []);
  return keys.filter((k) => allowed.has(k.keyid));
}

/** How many distinct keys of `role` have a signature on `md` that verifies. */
export function validSignatureCount(root: Root, role: string, md: AnyMetadata): number {
  let count = 0;
  for (const keyid of root.roles[role]?.keyIDs ?? []) {
    const key = root.keys[keyid];
    if (!key) continue;
    try {
      key.verifySignature(md);
      count++;
    } catch {
      // an invalid or absent signature just does not count
    }
  }
  return count;
}
