/**
 * The bundle target: per-group bundle documents → every file of a signed TUF repository
 * (bundles, the rule packs they share, their provenance envelopes and the input manifest they
 * name, root chain, targets, snapshot, timestamp). Pure: no I/O,
 * no clock, no randomness, so the same inputs and previous state give byte-identical files.
 */
import { builtDigest, canonicalBytes, SharedPrefixEncoder } from '../runtime/bundle/canonical.js';
import { bundleDocumentProblems } from '../runtime/bundle/envelope.js';
import type { SigningKey } from '../runtime/bundle/keys.js';
import { bundleTargetPath, INPUTS_TARGET_PATH, isSafeSegment, provenanceTargetPath } from '../runtime/bundle/layout.js';
import type { Lifetimes } from '../runtime/bundle/metadata.js';
import { parseRoot } from '../runtime/bundle/metadata.js';
import { envelopeBytes, inputManifest, PAYLOAD_TYPE, provenanceStatement, signEnvelope, type ProvenanceInput } from '../runtime/bundle/provenance.js';
import { buildMetadata, type BuildProblem, type BuildResult, type RepositoryState, type TargetInput } from '../runtime/bundle/tuf-repo.js';
import { packBundle } from '../runtime/bundle/pack-rules.js';

/** One host group's bundle: its document (`{irVersion, features, group, ring?, content}`) and rollout ring. */
export interface GroupBundle {
  readonly group: string;
  readonly ring?: string;
  readonly document: object;
}

/** Everything `vigil compile` hands over to produce OUT. */
export interface RepositoryInput {
  readonly bundles: readonly GroupBundle[];
  readonly provenance: ProvenanceInput;
  /** Signed root files: at least the pinned trust root (TRUST); roots already in OUT are kept. */
  readonly roots: readonly Uint8Array[];
  /** Keys to sign with; each signs the roles the latest root gives it. */
  readonly keys: readonly SigningKey[];
  readonly lifetimes?: Partial<Lifetimes>;
  /** The state of OUT before this build (`readRepositoryState`), for version numbers. */
  readonly previous?: RepositoryState;
}

/** Checks the groups and documents, collecting every problem. */
function bundleProblems(bundles: readonly GroupBundle[]): BuildProblem[] {
  const problems: BuildProblem[] = [];
  const seen = new Set<string>();
  for (const b of bundles) {
    if (!isSafeSegment(b.group)) problems.push({ slug: 'unsafe-name', message: `group name \`${b.group}\` is not a safe name (letters, digits, \`.\`, \`_\`, \`-\`)` });
    if (b.ring !== undefined && !isSafeSegment(b.ring)) problems.push({ slug: 'unsafe-name', message: `ring name \`${b.ring}\` is not a safe name` });
    if (seen.has(b.group)) problems.push({ slug: 'duplicate-group', message: `group \`${b.group}\` has two bundles` });
    seen.add(b.group);
    for (const p of bundleDocumentProblems(b.document)) problems.push({ slug: 'bad-bundle', message: `bundle of group \`${b.group}\`: ${p}` });
    const doc = b.document as { group?: unknown; ring?: unknown };
    if (doc.group !== b.group) problems.push({ slug: 'bad-bundle', message: `bundle of group \`${b.group}\` declares group \`${String(doc.group)}\`` });
    if (doc.ring !== b.ring) problems.push({ slug: 'bad-bundle', message: `bundle of group \`${b.group}\` declares ring \`${String(doc.ring)}\`, not \`${String(b.ring)}\`` });
  }
  return problems;
}

/** The targets keys of the latest given root among `keys`: they sign provenance. */
function provenanceKeys(input: RepositoryInput): SigningKey[] {
  const latest = [...input.roots].map((r) => parseRoot(r)).sort((a, b) => a.signed.version - b.signed.version).at(-1);
  const allowed = new Set(latest?.signed.roles.targets?.keyIDs ?? []);
  return input.keys.filter((k) => allowed.has(k.keyid));
}

/** Builds every file of OUT in memory: bundles, provenance and signed TUF metadata, sorted by path. */
export async function buildRepository(input: RepositoryInput): Promise<BuildResult> {
  const problems = bundleProblems(input.bundles);
  if (problems.length > 0) return { ok: false, problems };
  const commitTime = new Date(input.provenance.commitTime);
  if (Number.isNaN(commitTime.getTime())) return { ok: false, problems: [{ slug: 'bad-bundle', message: `commit time \`${input.provenance.commitTime}\` is not a date` }] };
  let signers: SigningKey[];
  try {
    signers = provenanceKeys(input);
  } catch (error) {
    return { ok: false, problems: [{ slug: 'bad-root-chain', message: `a trust root could not be read: ${(error as Error).message}` }] };
  }
  const targets: TargetInput[] = [];
  // `content` sorts first in a bundle document, and groups with the same packages have the same
  // content: its bytes and hash state are shared, each group adds only its own tail.
  const encoder = new SharedPrefixEncoder('content');
  // Every input file's digest, once per build: each group's statement names it by digest.
  const manifest = inputManifest(input.provenance.inputs);
  const inputs = { path: INPUTS_TARGET_PATH, manifest };
  const packs = new Map<string, Uint8Array>();
  // Every group's provenance is signed on the thread pool while the next groups are built.
  const signed: Promise<TargetInput>[] = [];
  for (const b of [...input.bundles].sort((x, y) => (x.group < y.group ? -1 : 1))) {
    const packed = packBundle(b.document);
    for (const p of packed.packs) packs.set(p.ref.path, p.bytes);
    const bytes = encoder.encode(packed.document);
    const name = bundleTargetPath(b.group);
    const statement = provenanceStatement({ name, sha256: builtDigest(bytes) }, input.provenance, b.group, b.ring, inputs);
    const ring = b.ring === undefined ? {} : { ring: b.ring };
    targets.push({ path: name, bytes, custom: { vigil: { kind: 'bundle', group: b.group, ...ring } } });
    signed.push(signEnvelope(canonicalBytes(statement), PAYLOAD_TYPE, signers).then((envelope) => ({ path: provenanceTargetPath(b.group), bytes: envelopeBytes(envelope), custom: { vigil: { kind: 'provenance', group: b.group, ...ring } } })));
  }
  targets.push(...(await Promise.all(signed)));
  targets.push({ path: INPUTS_TARGET_PATH, bytes: manifest.bytes, custom: { vigil: { kind: 'inputs' } } });
  // Rule packs are content-addressed: groups with the same rules share one target.
  for (const [name, bytes] of packs) targets.push({ path: name, bytes, custom: { vigil: { kind: 'rule-pack' } } });
  return buildMetadata({
    targets, roots: input.roots, keys: input.keys, commitTime,
    ...(input.lifetimes ? { lifetimes: input.lifetimes } : {}),
    ...(input.previous ? { previous: input.previous } : {}),
  });
}
