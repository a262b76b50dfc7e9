/**
 * Splits a bundle document's rules into content-addressed rule packs (runtime/bundle/rule-packs.ts
 * has the format). A rule goes to bucket `sha256(id) mod B`, with B a power of two chosen from the
 * rule count (about 32–64 rules a pack), so a changed, added or removed rule changes exactly one
 * pack while the others keep their bytes and names; B changes only when the count crosses a power
 * of two. Pure and deterministic; results are memoised by the rule list's identity, since groups
 * with the same packages share one frozen list (compiler/lower/rules.ts). The writer's side of
 * rule-packs.ts, kept beside it so the bundle target and `vigil history` (which reports the
 * digests compile writes) pack the same way.
 */
import { createHash } from 'node:crypto';
import { builtDigest, canonicalBytes, freezeJson } from './canonical.js';
import { packTargetPath, RULE_PACKS_FEATURE, type RulePackRef } from './rule-packs.js';

/** Rules a pack aims at; a pack holds between half and all of this on average. */
const PACK_RULES = 64;
/** Upper bound on packs per rule list, so a huge repository still has a bounded target count. */
const MAX_PACKS = 1024;

/** One pack to publish: its reference (as the bundle records it) and its bytes. */
export interface BuiltPack {
  readonly ref: RulePackRef;
  readonly bytes: Uint8Array;
}

/** A bundle document with its rules moved into packs. */
export interface PackedBundle {
  readonly document: object;
  readonly packs: readonly BuiltPack[];
}

/** The number of buckets for `n` rules: a power of two, so buckets only split when it changes. */
export function packCount(n: number): number {
  let b = 1;
  while (b * PACK_RULES < n && b < MAX_PACKS) b *= 2;
  return b;
}

/** The bucket of a rule id among `buckets` (a power of two). */
function bucketOf(id: string, buckets: number): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) & (buckets - 1);
}

const packsOfList = new WeakMap<object, Map<number, readonly BuiltPack[]>>();

/** The packs of one rule list (sorted by id within each pack; packs sorted by digest). */
export function packRules(rules: readonly { readonly id: string }[], irVersion: number): readonly BuiltPack[] {
  let byVersion = packsOfList.get(rules);
  const known = byVersion?.get(irVersion);
  if (known) return known;
  const buckets = packCount(rules.length);
  const groups: { readonly id: string }[][] = Array.from({ length: buckets }, () => []);
  // The compiler always gives rules an id; anything else still packs deterministically (by '').
  const idOf = (r: { readonly id: string }) => (typeof r.id === 'string' ? r.id : '');
  for (const rule of rules) (groups[bucketOf(idOf(rule), buckets)] as { readonly id: string }[]).push(rule);
  const packs: BuiltPack[] = [];
  for (const members of groups) {
    if (members.length === 0) continue;
    members.sort((a, b) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0));
    const bytes = canonicalBytes({ irVersion, rules: members });
    const sha256 = builtDigest(bytes);
    packs.push({ ref: freezeJson({ path: packTargetPath(sha256), sha256, length: bytes.length, rules: members.length }), bytes });
  }
  packs.sort((a, b) => (a.ref.sha256 < b.ref.sha256 ? -1 : 1));
  if (!byVersion) packsOfList.set(rules, (byVersion = new Map()));
  byVersion.set(irVersion, packs);
  return packs;
}

/**
 * The document with `content.rules` replaced by `content.rulePacks` and the `rule-packs` feature
 * declared, plus the packs to publish. A document without a rule list is returned unchanged.
 */
export function packBundle(document: object): PackedBundle {
  const doc = document as { irVersion: number; features: readonly string[]; content?: { rules?: unknown } };
  const content = doc.content;
  const rules = content?.rules;
  if (content === undefined || !Array.isArray(rules)) return { document, packs: [] };
  const packs = packRules(rules as { id: string }[], doc.irVersion);
  // One packed content per content object: groups that shared content still share it (and the
  // bundle target's encoder still encodes it once).
  let packed = packedContent.get(content);
  if (packed?.packs !== packs) {
    const { rules: _rules, ...rest } = content as Record<string, unknown>;
    packed = { packs, content: freezeJson({ ...rest, rulePacks: packs.map((p) => p.ref) }) };
    packedContent.set(content, packed);
  }
  const features = [...new Set([...doc.features, RULE_PACKS_FEATURE])].sort();
  return { document: { ...doc, features, content: packed.content }, packs };
}

/** Packed content by original content, with the packs it names (so another IR version is packed anew). */
const packedContent = new WeakMap<object, { readonly packs: readonly BuiltPack[]; readonly content: object }>();
