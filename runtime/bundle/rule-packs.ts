/**
 * Rule packs: a bundle's Sigma rules published apart from the bundle, as content-addressed TUF
 * targets (`packs/<sha256>`) that every group with the same rules shares. The bundle names its
 * packs by digest in `content.rulePacks`, so the signed bundle pins their exact bytes; an unchanged
 * pack keeps its name and bytes from build to build, so a one-rule change rewrites one pack, not
 * every group's rule list, and an agent downloads only the packs it does not hold yet
 * (docs/bundle-format.md §4).
 *
 * Pack file: canonical JSON `{"irVersion": N, "rules": [...]}`, rules sorted by id.
 */
import { parseJsonBytes, sha256Hex } from './canonical.js';
import type { BundleDocument } from './envelope.js';

/** The bundle feature that says `content.rules` lives in packs. */
export const RULE_PACKS_FEATURE = 'rule-packs';

/** The TUF target directory of packs. */
export const PACKS_DIR = 'packs';

/** One entry of `content.rulePacks`. */
export interface RulePackRef {
  /** TUF target path: `packs/<sha256>`. */
  readonly path: string;
  readonly sha256: string;
  readonly length: number;
  /** Rules in the pack. */
  readonly rules: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The target path of the pack with this digest. */
export function packTargetPath(sha256: string): string {
  return `${PACKS_DIR}/${sha256}`;
}

/** True when a target path names a pack (`packs/<64 hex>`). */
export function isPackTargetPath(targetPath: string): boolean {
  return targetPath.startsWith(`${PACKS_DIR}/`) && HEX64.test(targetPath.slice(PACKS_DIR.length + 1));
}

/** The pack references of a bundle's content: [] when it inlines its rules, a reason when the list is malformed. */
export function rulePackRefs(content: Readonly<Record<string, unknown>>): readonly RulePackRef[] | string {
  const refs = content.rulePacks;
  if (refs === undefined) return [];
  if (!Array.isArray(refs)) return '`content.rulePacks` must be an array';
  // One place for the rules: an agent that read one and ignored the other would run other rules than verified.
  if (content.rules !== undefined || content.detection !== undefined) return 'a bundle has `content.rules`, `content.detection` or `content.rulePacks`, only one of them';
  const seen = new Set<string>();
  for (const [i, r] of refs.entries()) {
    const ref = r as Partial<RulePackRef> | null;
    const ok = typeof ref === 'object' && ref !== null && typeof ref.sha256 === 'string' && HEX64.test(ref.sha256)
      && ref.path === packTargetPath(ref.sha256) && Number.isSafeInteger(ref.length) && (ref.length as number) > 0
      && Number.isSafeInteger(ref.rules) && (ref.rules as number) >= 0;
    if (!ok) return `\`content.rulePacks[${i}]\` must be {path: "packs/<sha256>", sha256, length, rules}`;
    if (seen.has(ref.sha256 as string)) return `\`content.rulePacks\` names pack ${ref.sha256 as string} twice`;
    seen.add(ref.sha256 as string);
  }
  return refs as RulePackRef[];
}

/** Packs already checked and parsed, by their bytes' identity (verified bytes are never changed in place): `vigil verify` meets one pack in every bundle that shares it. */
const parsed = new WeakMap<Uint8Array, { readonly key: string; readonly rules: readonly unknown[] }>();

/** The rules of one pack's bytes, checked against its reference; a reason when they do not match. */
export function parsePack(bytes: Uint8Array, ref: RulePackRef, irVersion: number): readonly unknown[] | string {
  const key = `${ref.sha256}:${ref.length}:${ref.rules}:${irVersion}`;
  const known = parsed.get(bytes);
  if (known?.key === key) return known.rules;
  const rules = parseFresh(bytes, ref, irVersion);
  if (typeof rules !== 'string') parsed.set(bytes, { key, rules });
  return rules;
}

function parseFresh(bytes: Uint8Array, ref: RulePackRef, irVersion: number): readonly unknown[] | string {
  if (bytes.length !== ref.length || sha256Hex(bytes) !== ref.sha256) return `pack ${ref.sha256} does not have the digest and length the bundle records`;
  let doc: unknown;
  try {
    doc = parseJsonBytes(bytes);
  } catch {
    return `pack ${ref.sha256} is not JSON`;
  }
  const pack = doc as { irVersion?: unknown; rules?: unknown } | null;
  if (typeof pack !== 'object' || pack === null || !Array.isArray(pack.rules) || Object.keys(pack).some((k) => k !== 'irVersion' && k !== 'rules')) {
    return `pack ${ref.sha256} must be {irVersion, rules: [...]}`;
  }
  if (pack.irVersion !== irVersion) return `pack ${ref.sha256} has IR version ${String(pack.irVersion)}, its bundle ${irVersion}`;
  if (pack.rules.length !== ref.rules) return `pack ${ref.sha256} holds ${pack.rules.length} rules, the bundle records ${ref.rules}`;
  return pack.rules;
}

/** Finds a pack's bytes by digest (from a download, or the agent's store). */
export type PackLookup = (sha256: string) => Uint8Array | undefined;

/**
 * The bundle document with its packs' rules back in `content.rules` (sorted by id), so everything
 * after this step sees one self-contained document; a reason when a pack is missing or malformed.
 * A bundle without `rulePacks` is returned as it is.
 */
export function resolveRulePacks(document: BundleDocument, lookup: PackLookup): BundleDocument | string {
  const refs = rulePackRefs(document.content);
  if (typeof refs === 'string') return refs;
  if (document.content.rulePacks === undefined) return document;
  if (!document.features.includes(RULE_PACKS_FEATURE)) return `a bundle with \`content.rulePacks\` must declare the \`${RULE_PACKS_FEATURE}\` feature`;
  const rules: unknown[] = [];
  for (const ref of refs) {
    const bytes = lookup(ref.sha256);
    if (!bytes) return `pack ${ref.sha256} is missing`;
    const parsed = parsePack(bytes, ref, document.irVersion);
    if (typeof parsed === 'string') return parsed;
    for (const rule of parsed) rules.push(rule);
  }
  const idOf = (r: unknown) => String((r as { id?: unknown } | null)?.id ?? '');
  rules.sort((a, b) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0));
  const { rulePacks: _packs, ...rest } = document.content;
  return { ...document, content: { ...rest, rules } };
}
