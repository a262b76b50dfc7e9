import type { Root, TargetFile } from '@tufjs/models';
import { refusal, type Refusal } from '../refusals.js';
import { parseJsonBytes, sha256Hex } from './canonical.js';
import { bundleDocumentProblems, unsupportedReason, type BundleDocument, type Capabilities } from './envelope.js';
import { bundleTargetPath, provenanceTargetPath, targetFilePath } from './layout.js';
import { rulePackRefs, type RulePackRef } from './rule-packs.js';
import { subjectDigest, verifyEnvelope } from './provenance.js';

/**
 * Checks a bundle whose bytes already matched the signed length and sha256: its group binding
 * (target metadata and document), shape, capabilities and signed provenance
 * (docs/bundle-format.md §6 step 6). One function for the agent and `vigil verify`, so the two
 * can never accept different things.
 */
export function checkVerifiedBundle(
  group: string,
  info: TargetFile,
  bytes: Uint8Array,
  provenance: Uint8Array | undefined,
  root: Root,
  capabilities: Capabilities,
): { readonly sha256: string; readonly document: BundleDocument; readonly statement: Record<string, unknown> } | Refusal {
  const file = targetFilePath(info.path);
  const custom = (info.custom as { vigil?: { group?: unknown } }).vigil;
  if (custom?.group !== group) return refusal('VR1008', file, { expected: group, actual: String(custom?.group) });
  let doc: unknown;
  try {
    doc = parseJsonBytes(bytes);
  } catch {
    return refusal('VR1016', file, { detail: 'it is not JSON' });
  }
  const problems = bundleDocumentProblems(doc);
  if (problems.length > 0) return refusal('VR1016', file, { detail: problems.join('; ') });
  const document = doc as BundleDocument;
  if (document.group !== group) return refusal('VR1008', file, { expected: group, actual: document.group });
  const why = unsupportedReason(document, capabilities);
  if (why) return refusal('VR1016', file, { detail: why });
  const provFile = targetFilePath(provenanceTargetPath(group));
  if (!provenance) return refusal('VR1017', provFile, { detail: 'no signed provenance for this bundle' });
  const keys = (root.roles.targets?.keyIDs ?? []).flatMap((id) => {
    const pub = root.keys[id]?.keyVal.public;
    return pub ? [{ keyid: id, publicHex: pub }] : [];
  });
  const check = verifyEnvelope(provenance, keys);
  if (!check.ok) return refusal('VR1017', provFile, { detail: check.reason });
  const sha256 = sha256Hex(bytes);
  const subject = subjectDigest(check.statement, info.path);
  if (subject !== sha256) return refusal('VR1017', provFile, { detail: `its subject digest is ${subject ?? 'absent'}, the bundle's is ${sha256}` });
  return { sha256, document, statement: check.statement };
}

/**
 * The rule packs a checked bundle names, each matched against its signed target entry (present,
 * same length and sha256), so a bundle can only pull in packs the same signed metadata covers.
 */
export function checkPackTargets(document: BundleDocument, targets: Readonly<Record<string, TargetFile>>): readonly RulePackRef[] | Refusal {
  const refs = rulePackRefs(document.content);
  const file = targetFilePath(bundleTargetPath(document.group));
  if (typeof refs === 'string') return refusal('VR1016', file, { detail: refs });
  for (const ref of refs) {
    const info = targets[ref.path];
    if (!info) return refusal('VR1014', targetFilePath(ref.path));
    if (info.length !== ref.length || info.hashes.sha256 !== ref.sha256) {
      return refusal('VR1009', targetFilePath(ref.path), { by: file, detail: `the bundle pins ${ref.length} bytes with sha256 ${ref.sha256}, targets.json lists ${info.length} bytes with sha256 ${String(info.hashes.sha256)}` });
    }
  }
  return refs;
}
