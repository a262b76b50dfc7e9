/**
 * Explains a refusal. tuf-js decides whether a repository is trusted; when it refuses, it often says
 * only "unable to load snapshot". This module replays the TUF client workflow (root chain, timestamp,
 * snapshot, targets: spec §5.3-5.6) over the same files and names the first precise reason, with one
 * VR code per attack class. It never accepts anything tuf-js refused.
 */
import { Metadata, MetadataKind, type Root, type Snapshot, type Timestamp } from '@tufjs/models';
import { parseJsonBytes, sha256Hex } from './canonical.js';
import { METADATA_FILES, rootFileName } from './layout.js';
import { parseRoot, validSignatureCount, type AnyMetadata } from './metadata.js';
import { refusal, type Refusal } from '../refusals.js';

/** Read access to OUT, with sizes first so oversized files are never read whole. */
export interface RepoReader {
  /** Size in bytes, or undefined when the file does not exist. */
  size(rel: string): number | undefined;
  read(rel: string): Uint8Array;
}

/** Upper bounds for metadata without a signed length (tuf-js's defaults). */
export const MAX_LENGTH = { root: 512_000, timestamp: 16_384, snapshot: 2_000_000, targets: 5_000_000 } as const;

/** What the explanation starts from. */
export interface DiagnoseInput {
  readonly reader: RepoReader;
  /** The root the client trusted before this update (pinned, or the one in its state). */
  readonly trusted: Uint8Array;
  readonly trustedName: string;
  /** The timestamp the client trusted before (its state), for rollback checks. */
  readonly previousTimestamp?: Uint8Array;
  readonly now: Date;
}

type Kind = 'root' | 'timestamp' | 'snapshot' | 'targets';

/** Parses raw metadata, or returns the refusal for unreadable or duplicated-signature files. */
function load(file: string, bytes: Uint8Array, kind: Kind): AnyMetadata | Refusal {
  let raw: { signatures?: unknown };
  try {
    raw = parseJsonBytes(bytes) as { signatures?: unknown };
  } catch {
    return refusal('VR1001', file, { detail: 'it is not valid JSON' });
  }
  const sigs = Array.isArray(raw?.signatures) ? (raw.signatures as { keyid?: unknown }[]) : undefined;
  const seen = new Set<unknown>();
  for (const s of sigs ?? []) {
    if (seen.has(s?.keyid)) return refusal('VR1005', file, { keyid: String(s?.keyid) });
    seen.add(s?.keyid);
  }
  try {
    return Metadata.fromJSON(kind as MetadataKind.Root, raw as never) as AnyMetadata;
  } catch (error) {
    return refusal('VR1001', file, { detail: `it is not ${kind} metadata (${(error as Error).message})` });
  }
}

/** Classifies why `md` does not meet `role`'s threshold under `root`, or undefined when it does. */
export function signatureRefusal(file: string, md: AnyMetadata, role: string, root: Root, retired: ReadonlyMap<string, number>): Refusal | undefined {
  const threshold = root.roles[role]?.threshold ?? 1;
  const count = validSignatureCount(root, role, md);
  if (count >= threshold) return undefined;
  const sigs = Object.values(md.signatures);
  if (sigs.length === 0) return refusal('VR1002', file);
  const allowed = new Set(root.roles[role]?.keyIDs ?? []);
  if (sigs.some((s) => allowed.has(s.keyID)) && count < sigs.filter((s) => allowed.has(s.keyID)).length) {
    return refusal('VR1001', file, { detail: 'a signature by a trusted key does not match the content' });
  }
  const foreign = sigs.find((s) => !allowed.has(s.keyID));
  if (foreign && retired.has(foreign.keyID)) return refusal('VR1012', file, { keyid: foreign.keyID, version: retired.get(foreign.keyID) ?? 0 });
  if (foreign) return refusal('VR1003', file, { keyid: foreign.keyID, role });
  return refusal('VR1004', file, { count, threshold, role });
}

/** Reads one metadata file with a size cap; returns its bytes or a refusal. */
function readCapped(reader: RepoReader, file: string, limit: number): Uint8Array | Refusal {
  const size = reader.size(file);
  if (size === undefined) return refusal('VR1014', file);
  if (size > limit) return refusal('VR1010', file, { actual: size, limit });
  return reader.read(file);
}

/** True when a value is a refusal rather than data. */
function isRefusal(x: unknown): x is Refusal {
  return typeof x === 'object' && x !== null && 'code' in x && 'hint' in x;
}

/** Walks the root chain from the trusted root (§5.3); returns the final root and the keys it retired. */
function walkRoots(input: DiagnoseInput): { root: Metadata<Root>; file: string; retired: Map<string, number> } | Refusal {
  let current: Metadata<Root>;
  try {
    current = parseRoot(input.trusted);
  } catch (error) {
    return refusal('VR1015', input.trustedName, { detail: (error as Error).message });
  }
  let file = input.trustedName;
  const retired = new Map<string, number>();
  for (let v = current.signed.version + 1; ; v++) {
    const name = rootFileName(v);
    if (input.reader.size(name) === undefined) break;
    const bytes = readCapped(input.reader, name, MAX_LENGTH.root);
    if (isRefusal(bytes)) return bytes;
    const next = load(name, bytes, 'root');
    if (isRefusal(next)) return next;
    const byOld = signatureRefusal(name, next, 'root', current.signed, retired);
    if (byOld) return byOld;
    if (next.signed.version !== v) return refusal('VR1006', name, { detail: `it holds root version ${next.signed.version}, expected ${v}` });
    const byNew = signatureRefusal(name, next, 'root', (next as Metadata<Root>).signed, retired);
    if (byNew) return byNew;
    const kept = new Set(Object.keys((next as Metadata<Root>).signed.keys));
    for (const id of Object.keys(current.signed.keys)) if (!kept.has(id)) retired.set(id, v);
    current = next as Metadata<Root>;
    file = name;
  }
  return { root: current, file, retired };
}

/** The first precise reason the TUF workflow refuses OUT's metadata, or undefined when none is found. */
export function diagnoseMetadata(input: DiagnoseInput): Refusal | undefined {
  const chain = walkRoots(input);
  if (isRefusal(chain)) return chain;
  const { root, retired } = chain;
  if (root.signed.isExpired(input.now)) return refusal('VR1007', chain.file, { detail: `root expired at ${root.signed.expires}` });

  const tsFile = METADATA_FILES.timestamp;
  const tsBytes = readCapped(input.reader, tsFile, MAX_LENGTH.timestamp);
  if (isRefusal(tsBytes)) return tsBytes;
  const ts = load(tsFile, tsBytes, 'timestamp');
  if (isRefusal(ts)) return ts;
  const tsSig = signatureRefusal(tsFile, ts, 'timestamp', root.signed, retired);
  if (tsSig) return tsSig;
  const timestamp = ts as Metadata<Timestamp>;
  if (input.previousTimestamp) {
    const prev = load(tsFile, input.previousTimestamp, 'timestamp') as Metadata<Timestamp>;
    if (!isRefusal(prev)) {
      if (timestamp.signed.version < prev.signed.version) return refusal('VR1006', tsFile, { detail: `timestamp version ${timestamp.signed.version} after version ${prev.signed.version}` });
      if (timestamp.signed.snapshotMeta.version < prev.signed.snapshotMeta.version) return refusal('VR1006', tsFile, { detail: `snapshot version ${timestamp.signed.snapshotMeta.version} after version ${prev.signed.snapshotMeta.version}` });
    }
  }
  if (timestamp.signed.isExpired(input.now)) return refusal('VR1007', tsFile, { detail: `timestamp expired at ${timestamp.signed.expires}` });

  const snFile = METADATA_FILES.snapshot;
  const meta = timestamp.signed.snapshotMeta;
  const snBytes = readCapped(input.reader, snFile, meta.length ?? MAX_LENGTH.snapshot);
  if (isRefusal(snBytes)) return snBytes;
  const sn = load(snFile, snBytes, 'snapshot');
  if (isRefusal(sn)) return sn;
  const snSig = signatureRefusal(snFile, sn, 'snapshot', root.signed, retired);
  // A hash mismatch is tampering when the signatures fail too, and a swapped file when they hold.
  const expected = meta.hashes?.sha256;
  if (expected !== undefined && sha256Hex(snBytes) !== expected) {
    return snSig ?? refusal('VR1009', snFile, { by: tsFile, detail: `its sha256 is ${sha256Hex(snBytes)}, not ${expected}` });
  }
  if (snSig) return snSig;
  if (sn.signed.version !== meta.version) return refusal('VR1009', snFile, { by: tsFile, detail: `it is version ${sn.signed.version}, not ${meta.version}` });
  if (sn.signed.isExpired(input.now)) return refusal('VR1007', snFile, { detail: `snapshot expired at ${sn.signed.expires}` });

  const tgFile = METADATA_FILES.targets;
  const tgMeta = (sn as Metadata<Snapshot>).signed.meta[tgFile];
  if (!tgMeta) return refusal('VR1009', tgFile, { by: snFile, detail: 'the snapshot does not list it' });
  const tgBytes = readCapped(input.reader, tgFile, tgMeta.length ?? MAX_LENGTH.targets);
  if (isRefusal(tgBytes)) return tgBytes;
  const tg = load(tgFile, tgBytes, 'targets');
  if (isRefusal(tg)) return tg;
  const tgSig = signatureRefusal(tgFile, tg, 'targets', root.signed, retired);
  if (tgSig) return tgSig;
  if (tg.signed.version !== tgMeta.version) return refusal('VR1009', tgFile, { by: snFile, detail: `it is version ${tg.signed.version}, not ${tgMeta.version}` });
  if (tg.signed.isExpired(input.now)) return refusal('VR1007', tgFile, { detail: `targets expired at ${tg.signed.expires}` });
  return undefined;
}
