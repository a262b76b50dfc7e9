/**
 * Root metadata: the first root an agent pins (`vigil trust init`) and chained rotations.
 * A rotated root N+1 must be signed by a threshold of root N's keys and of its own keys
 * (TUF client workflow 5.3.4 and 5.3.5), so agents follow the chain from whatever they pinned.
 */
import { Metadata, Root } from '@tufjs/models';
import { tufKeyJson, type PublicKey, type SigningKey } from './keys.js';
import { metadataBytes, parseRoot, signMetadata, validSignatureCount } from './metadata.js';

/** The keys and threshold of one role. */
export interface RoleSpec {
  readonly keys: readonly PublicKey[];
  readonly threshold: number;
}

/** Every top-level role's keys, and when the root expires. */
export interface RootSpec {
  readonly root: RoleSpec;
  readonly targets: RoleSpec;
  readonly snapshot: RoleSpec;
  readonly timestamp: RoleSpec;
  /** TUF expiry string (`YYYY-MM-DDTHH:MM:SSZ`). */
  readonly expires: string;
}

/** The four top-level roles, in the order TUF lists them. */
export const TOP_LEVEL_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;

/** A root that cannot be built as asked (bad threshold, too few signers); the message names the role. */
export class TrustSpecError extends Error {}

/** Builds unsigned root metadata of a given version. */
function rootMetadata(spec: RootSpec, version: number): Metadata<Root> {
  const keys: Record<string, ReturnType<typeof tufKeyJson>> = {};
  const roles: Record<string, { keyids: string[]; threshold: number }> = {};
  for (const name of TOP_LEVEL_ROLES) {
    const role = spec[name];
    const ids = [...new Set(role.keys.map((k) => k.keyid))].sort();
    if (!Number.isInteger(role.threshold) || role.threshold < 1 || role.threshold > ids.length) {
      throw new TrustSpecError(`role \`${name}\` has ${ids.length} distinct key(s), so its threshold must be 1..${ids.length}, not ${role.threshold}`);
    }
    for (const k of role.keys) keys[k.keyid] = tufKeyJson(k.publicHex);
    roles[name] = { keyids: ids, threshold: role.threshold };
  }
  // Built through fromJSON because @tufjs/models does not export its Role class.
  const signed = { _type: 'root', spec_version: '1.0.31', version, expires: spec.expires, keys, roles, consistent_snapshot: false };
  return new Metadata(Root.fromJSON(signed));
}

/** Writes and signs root version 1; the signers must meet the root threshold. */
export function createRoot(spec: RootSpec, signers: readonly SigningKey[]): Uint8Array {
  const md = rootMetadata(spec, 1);
  const own = signers.filter((k) => md.signed.roles.root?.keyIDs.includes(k.keyid));
  signMetadata(md, own);
  const have = validSignatureCount(md.signed, 'root', md);
  const need = md.signed.roles.root?.threshold ?? 1;
  if (have < need) throw new TrustSpecError(`the root needs ${need} signature(s) from root keys, got ${have}`);
  return metadataBytes(md);
}

/** Writes root version N+1 after `previous`, signed by a threshold of the old and of the new root keys. */
export function rotateRoot(previous: Uint8Array, spec: RootSpec, signers: readonly SigningKey[]): Uint8Array {
  const old = parseRoot(previous);
  const md = rootMetadata(spec, old.signed.version + 1);
  const allowed = new Set([...(old.signed.roles.root?.keyIDs ?? []), ...(md.signed.roles.root?.keyIDs ?? [])]);
  signMetadata(md, signers.filter((k) => allowed.has(k.keyid)));
  const byOld = validSignatureCount(old.signed, 'root', md);
  const byNew = validSignatureCount(md.signed, 'root', md);
  if (byOld < (old.signed.roles.root?.threshold ?? 1)) throw new TrustSpecError(`the new root needs ${old.signed.roles.root?.threshold} signature(s) from the previous root keys, got ${byOld}`);
  if (byNew < (md.signed.roles.root?.threshold ?? 1)) throw new TrustSpecError(`the new root needs ${md.signed.roles.root?.threshold} signature(s) from its own root keys, got ${byNew}`);
  return metadataBytes(md);
}
