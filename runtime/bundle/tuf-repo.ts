/**
 * Builds and co-signs the TUF metadata of an OUT repository with @tufjs/models, in memory.
 * Deterministic: expiry = commit time + lifetime, versions come from the previous state of OUT
 * (unchanged content keeps its version, bytes and existing signatures; changed content gets
 * version + 1), Ed25519 signatures are deterministic, and every list is sorted.
 */
import { Metadata, MetaFile, Snapshot, TargetFile, Targets, Timestamp, type Root } from '@tufjs/models';
import { builtDigest, canonicalJson, sha256Hex } from './canonical.js';
import type { SigningKey } from './keys.js';
import { isSafePath, METADATA_FILES, rootFileName, sortArtifacts, targetFilePath, type Artifact } from './layout.js';
import {
  DEFAULT_LIFETIMES, expiresAfter, keysForRole, metadataBytes, parseRoot, parseSnapshot, parseTargets, parseTimestamp,
  signMetadata, validSignatureCount, type AnyMetadata, type Lifetimes,
} from './metadata.js';

/** A target file to publish: TUF path (relative to `targets/`), bytes and optional `custom` data. */
export interface TargetInput {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly custom?: Readonly<Record<string, unknown>>;
}

/** The raw files of an existing OUT, as `readRepositoryState` finds them. */
export interface RepositoryState {
  /** Signed root files by version. */
  readonly roots: ReadonlyMap<number, Uint8Array>;
  readonly timestamp?: Uint8Array;
  readonly snapshot?: Uint8Array;
  readonly targets?: Uint8Array;
}

/** What the metadata builder needs. */
export interface MetadataInput {
  readonly targets: readonly TargetInput[];
  /** Signed root files (at least the pinned trust root); merged with the roots already in OUT. */
  readonly roots: readonly Uint8Array[];
  readonly keys: readonly SigningKey[];
  readonly commitTime: Date;
  readonly lifetimes?: Partial<Lifetimes>;
  readonly previous?: RepositoryState;
}

/** A role whose metadata still lacks signatures (e.g. waiting for a release approver). */
export interface PendingSignature {
  readonly role: string;
  readonly file: string;
  readonly have: number;
  readonly need: number;
}

/** Why a repository could not be built; `slug` is stable, the message names the offending item. */
export interface BuildProblem {
  readonly slug: 'unsafe-name' | 'duplicate-target' | 'bad-root-chain' | 'bad-previous-state' | 'bad-bundle' | 'duplicate-group' | 'timestamp-key-needed';
  readonly message: string;
}

/** The outcome of building or signing: files to write, or the problems that stopped it. */
export type BuildResult =
  | { readonly ok: true; readonly artifacts: Artifact[]; readonly pending: PendingSignature[] }
  | { readonly ok: false; readonly problems: BuildProblem[] };

type Versioned<T extends AnyMetadata> = (version: number) => T;

/** Keeps the previous metadata (and its signatures) when only the version would differ; else bumps the version. */
function nextMetadata<T extends AnyMetadata>(build: Versioned<T>, previous: T | undefined): T {
  if (!previous) return build(1);
  const same = build(previous.signed.version);
  if (canonicalJson(same.signed.toJSON()) === canonicalJson(previous.signed.toJSON())) return previous;
  return build(previous.signed.version + 1);
}

/** Merges given roots with those in OUT, checking the chain is contiguous; returns versions in order. */
function rootChain(given: readonly Uint8Array[], previous: ReadonlyMap<number, Uint8Array> | undefined, problems: BuildProblem[]): Map<number, Uint8Array> {
  const chain = new Map<number, Uint8Array>(previous ?? []);
  for (const bytes of given) {
    try {
      chain.set(parseRoot(bytes).signed.version, bytes);
    } catch (error) {
      problems.push({ slug: 'bad-root-chain', message: `a trust root could not be read: ${(error as Error).message}` });
    }
  }
  const versions = [...chain.keys()].sort((a, b) => a - b);
  if (versions.length === 0) problems.push({ slug: 'bad-root-chain', message: 'no trust root was given' });
  versions.forEach((v, i) => {
    if (i > 0 && v !== (versions[i - 1] ?? 0) + 1) problems.push({ slug: 'bad-root-chain', message: `the root chain skips from version ${versions[i - 1]} to ${v}` });
  });
  return new Map(versions.map((v) => [v, chain.get(v) as Uint8Array]));
}

/** Parses previous metadata, recording a problem instead of throwing. */
function previousOf<T>(bytes: Uint8Array | undefined, parse: (b: Uint8Array) => T, file: string, problems: BuildProblem[]): T | undefined {
  if (!bytes) return undefined;
  try {
    return parse(bytes);
  } catch (error) {
    problems.push({ slug: 'bad-previous-state', message: `\`${file}\` in OUT could not be read: ${(error as Error).message}` });
    return undefined;
  }
}

/** Signs `md` with the keys of `role` and reports what is still missing. */
function signRole(root: Root, role: string, file: string, md: AnyMetadata, keys: readonly SigningKey[], pending: PendingSignature[]): void {
  signMetadata(md, keysForRole(root, role, keys));
  const have = validSignatureCount(root, role, md);
  const need = root.roles[role]?.threshold ?? 1;
  if (have < need) pending.push({ role, file, have, need });
}

/** Builds root, targets, snapshot and timestamp metadata for the given targets. */
export function buildMetadata(input: MetadataInput): BuildResult {
  const problems: BuildProblem[] = [];
  const life = { ...DEFAULT_LIFETIMES, ...input.lifetimes };
  const seen = new Set<string>();
  for (const t of input.targets) {
    if (!isSafePath(t.path)) problems.push({ slug: 'unsafe-name', message: `target path \`${t.path}\` is not a safe relative name` });
    if (seen.has(t.path)) problems.push({ slug: 'duplicate-target', message: `target \`${t.path}\` is given twice` });
    seen.add(t.path);
  }
  const roots = rootChain(input.roots, input.previous?.roots, problems);
  const prevTargets = previousOf(input.previous?.targets, parseTargets, METADATA_FILES.targets, problems);
  const prevSnapshot = previousOf(input.previous?.snapshot, parseSnapshot, METADATA_FILES.snapshot, problems);
  const prevTimestamp = previousOf(input.previous?.timestamp, parseTimestamp, METADATA_FILES.timestamp, problems);
  const latest = [...roots.values()].at(-1);
  if (problems.length > 0 || !latest) return { ok: false, problems };
  const root = parseRoot(latest);
  const pending: PendingSignature[] = [];

  const targets = nextMetadata((version) => {
    const files: Record<string, TargetFile> = {};
    for (const t of [...input.targets].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      const extra = t.custom ? { custom: t.custom as never } : undefined;
      files[t.path] = new TargetFile({ path: t.path, length: t.bytes.length, hashes: { sha256: builtDigest(t.bytes) }, ...(extra ? { unrecognizedFields: extra } : {}) });
    }
    return new Metadata(new Targets({ version, specVersion: '1.0.31', expires: expiresAfter(input.commitTime, life.targets), targets: files }));
  }, prevTargets);
  signRole(root.signed, 'targets', METADATA_FILES.targets, targets, input.keys, pending);

  // Snapshot meta records only the targets version (TUF's default), so a release approver can
  // co-sign targets.json later without the snapshot and timestamp having to be re-issued.
  const snapshot = nextMetadata((version) => new Metadata(new Snapshot({
    version, specVersion: '1.0.31', expires: expiresAfter(input.commitTime, life.snapshot),
    meta: { [METADATA_FILES.targets]: new MetaFile({ version: targets.signed.version }) },
  })), prevSnapshot);
  signRole(root.signed, 'snapshot', METADATA_FILES.snapshot, snapshot, input.keys, pending);
  const snapshotBytes = metadataBytes(snapshot);

  const timestamp = nextMetadata((version) => new Metadata(new Timestamp({
    version, specVersion: '1.0.31', expires: expiresAfter(input.commitTime, life.timestamp),
    snapshotMeta: new MetaFile({ version: snapshot.signed.version, length: snapshotBytes.length, hashes: { sha256: sha256Hex(snapshotBytes) } }),
  })), prevTimestamp);
  signRole(root.signed, 'timestamp', METADATA_FILES.timestamp, timestamp, input.keys, pending);

  const artifacts: Artifact[] = [
    ...[...roots].map(([v, bytes]) => ({ path: rootFileName(v), bytes })),
    { path: METADATA_FILES.targets, bytes: metadataBytes(targets) },
    { path: METADATA_FILES.snapshot, bytes: snapshotBytes },
    { path: METADATA_FILES.timestamp, bytes: metadataBytes(timestamp) },
    ...input.targets.map((t) => ({ path: targetFilePath(t.path), bytes: t.bytes })),
  ];
  return { ok: true, artifacts: sortArtifacts(artifacts), pending };
}

/** Options of `signRepository`. */
export interface SignOptions {
  /** Re-issue the timestamp expiring `lifetimes.timestamp` after this time: the one place the wall clock enters. */
  readonly refreshAt?: Date;
  readonly lifetimes?: Partial<Lifetimes>;
}

/** Adds signatures to every role the keys hold in an existing OUT, re-issuing the timestamp when needed. */
export function signRepository(state: RepositoryState, keys: readonly SigningKey[], opts: SignOptions = {}): BuildResult {
  const problems: BuildProblem[] = [];
  const life = { ...DEFAULT_LIFETIMES, ...opts.lifetimes };
  const versions = [...state.roots.keys()].sort((a, b) => a - b);
  const latestVersion = versions.at(-1);
  const rootMd = previousOf(latestVersion === undefined ? undefined : state.roots.get(latestVersion), parseRoot, 'root', problems);
  const targets = previousOf(state.targets, parseTargets, METADATA_FILES.targets, problems);
  const snapshot = previousOf(state.snapshot, parseSnapshot, METADATA_FILES.snapshot, problems);
  const timestamp = previousOf(state.timestamp, parseTimestamp, METADATA_FILES.timestamp, problems);
  if (!rootMd || !targets || !snapshot || !timestamp || latestVersion === undefined) {
    if (problems.length === 0) problems.push({ slug: 'bad-previous-state', message: 'OUT is not a Vigil repository (root, targets, snapshot or timestamp metadata missing)' });
    return { ok: false, problems };
  }
  const root = rootMd.signed;
  const pending: PendingSignature[] = [];
  const rootFile = rootFileName(latestVersion);
  signRole(root, 'root', rootFile, rootMd, keys, pending);
  signRole(root, 'targets', METADATA_FILES.targets, targets, keys, pending);

  const timestampKeys = keysForRole(root, 'timestamp', keys);
  const oldSnapshotBytes = metadataBytes(snapshot);
  const snapshotKeys = keysForRole(root, 'snapshot', keys);
  const cosigned = parseSnapshot(oldSnapshotBytes);
  signMetadata(cosigned, snapshotKeys);
  const newSnapshotBytes = metadataBytes(cosigned);
  const snapshotChanged = Buffer.compare(Buffer.from(oldSnapshotBytes), Buffer.from(newSnapshotBytes)) !== 0;
  if (snapshotChanged && timestampKeys.length === 0) {
    return { ok: false, problems: [{ slug: 'timestamp-key-needed', message: 'adding a snapshot signature changes snapshot.json, so a timestamp key must sign too (give it with another `--key`)' }] };
  }
  const finalSnapshot = snapshotChanged ? cosigned : snapshot;
  const have = validSignatureCount(root, 'snapshot', finalSnapshot);
  if (have < (root.roles.snapshot?.threshold ?? 1)) pending.push({ role: 'snapshot', file: METADATA_FILES.snapshot, have, need: root.roles.snapshot?.threshold ?? 1 });

  let finalTimestamp = timestamp;
  if (snapshotChanged || opts.refreshAt) {
    if (timestampKeys.length === 0) return { ok: false, problems: [{ slug: 'timestamp-key-needed', message: 'refreshing the timestamp needs a key of the `timestamp` role' }] };
    finalTimestamp = new Metadata(new Timestamp({
      version: timestamp.signed.version + 1, specVersion: '1.0.31',
      expires: opts.refreshAt ? expiresAfter(opts.refreshAt, life.timestamp) : timestamp.signed.expires,
      snapshotMeta: new MetaFile({ version: finalSnapshot.signed.version, length: newSnapshotBytes.length, hashes: { sha256: sha256Hex(newSnapshotBytes) } }),
    }));
  }
  signRole(root, 'timestamp', METADATA_FILES.timestamp, finalTimestamp, keys, pending);
  const artifacts: Artifact[] = [
    { path: rootFile, bytes: metadataBytes(rootMd) },
    { path: METADATA_FILES.targets, bytes: metadataBytes(targets) },
    { path: METADATA_FILES.snapshot, bytes: snapshotChanged ? newSnapshotBytes : oldSnapshotBytes },
    { path: METADATA_FILES.timestamp, bytes: metadataBytes(finalTimestamp) },
  ];
  return { ok: true, artifacts: sortArtifacts(artifacts), pending };
}
