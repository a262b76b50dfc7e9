/**
 * Pulling a group's bundle: a tuf-js Fetcher built on http-request.ts (so the TUF client
 * downloads through exactly its limits) and the TUF client workflow with Vigil's own checks.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Metadata, MetadataKind, type Root, type TargetFile, type Targets } from '@tufjs/models';
import { Updater, type Fetcher } from 'tuf-js';
import { DownloadHTTPError, DownloadLengthMismatchError } from 'tuf-js/dist/error.js';
import { parseJsonBytes, sha256Hex } from './bundle/canonical.js';
import type { BundleDocument } from './bundle/envelope.js';
import { AGENT_CAPABILITIES } from './engine/capabilities.js';
import { bundleTargetPath, provenanceTargetPath, targetFilePath } from './bundle/layout.js';
import { parseRoot } from './bundle/metadata.js';
import { diagnoseMetadata } from './bundle/diagnose.js';
import { refusal, type Refusal } from './refusals.js';
import { checkPackTargets, checkVerifiedBundle } from './bundle/check-bundle.js';
import { resolveRulePacks, type PackLookup } from './bundle/rule-packs.js';
import { writeFileAtomic } from './write-atomic.js';
import { httpRequest, type Limits, type TransportError } from './http-request.js';

/** Raised by fetchers for a transport failure, so callers can tell "unreachable" from "refused". */
export class TransportFailure extends Error {
  constructor(readonly failure: TransportError) {
    super(failure.message);
  }
}

/** A tuf-js fetcher that also remembers the last transport failure (tuf-js rewraps some errors). */
export interface RecordingFetcher extends Fetcher {
  /** Base URL of the metadata (TUF's metadataBaseUrl). */
  readonly baseUrl: string;
  /** Base URL of target files (TUF's targetBaseUrl). */
  readonly targetBaseUrl: string;
  lastTransportFailure: TransportError | undefined;
  /** Base-relative path → bytes served, so a refusal can be explained from exactly what was seen. */
  readonly served: Map<string, Uint8Array>;
}

/** Records what a fetcher served under its base URL. */
export function recordServed(fetcher: RecordingFetcher, url: string, bytes: Uint8Array): void {
  if (url.startsWith(fetcher.baseUrl)) fetcher.served.set(decodeURIComponent(url.slice(fetcher.baseUrl.length)), bytes);
}

/** Writes downloaded bytes to a scratch file for tuf-js's file handler, then removes it. */
export async function withScratchFile<T>(bytes: Uint8Array, handler: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-dl-'));
  const file = path.join(dir, 'download');
  try {
    writeFileSync(file, bytes);
    return await handler(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Options of the HTTP fetcher. */
export interface HttpFetcherOptions {
  /** The server's base URL (the repository root, OUT). */
  readonly base: string;
  readonly limits?: Partial<Limits>;
  /** Sent with every request, so a ring-aware server can tell which agent asks. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly ca?: string | Buffer;
  /** Bytes already fetched for a URL (the polled timestamp), served without asking again. */
  readonly prefetched?: ReadonlyMap<string, Uint8Array>;
}

/** Fetches TUF metadata and targets over HTTP(S) within the agent's limits. */
export class HttpFetcher implements RecordingFetcher {
  readonly baseUrl: string;
  readonly targetBaseUrl: string;
  lastTransportFailure: TransportError | undefined;
  readonly served = new Map<string, Uint8Array>();

  constructor(private readonly opts: HttpFetcherOptions) {
    this.baseUrl = opts.base.endsWith('/') ? opts.base : `${opts.base}/`;
    this.targetBaseUrl = `${this.baseUrl}targets/`;
  }

  async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    const pre = this.opts.prefetched?.get(url);
    if (pre && pre.length <= maxLength) {
      recordServed(this, url, pre);
      return Buffer.from(pre);
    }
    if (!url.startsWith(this.baseUrl)) throw new DownloadHTTPError(`refusing ${url}: outside ${this.baseUrl}`, 400);
    const r = await httpRequest(url, {
      headers: { ...this.opts.headers },
      limits: { ...this.opts.limits, maxBytes: Math.min(maxLength, this.opts.limits?.maxBytes ?? Number.MAX_SAFE_INTEGER) },
      ...(this.opts.ca ? { ca: this.opts.ca } : {}),
    });
    if (!r.ok) {
      if (r.error.kind === 'too-large') throw new DownloadLengthMismatchError(r.error.message);
      this.lastTransportFailure = r.error;
      throw new TransportFailure(r.error);
    }
    if (r.status !== 200) {
      if (r.status >= 500) this.lastTransportFailure = { kind: 'http', message: `${url}: HTTP ${r.status}`, status: r.status };
      throw new DownloadHTTPError(`${url}: HTTP ${r.status}`, r.status);
    }
    recordServed(this, url, r.bytes);
    return Buffer.from(r.bytes);
  }

  async downloadFile<T>(url: string, maxLength: number, handler: (file: string) => Promise<T>): Promise<T> {
    return withScratchFile(await this.downloadBytes(url, maxLength), handler);
  }
}

/** Exponential backoff with jitter: a random delay in [d/2, d] where d = base·2^failures, capped, so a fleet does not retry in step. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** What the agent needs to verify a download: the pinned trust, its state and its group. */
export interface UpdateOptions {
  readonly fetcher: RecordingFetcher;
  /** The pinned trust root (signed root metadata bytes). */
  readonly trust: Uint8Array;
  /** Directory of trusted TUF metadata, kept across restarts (rollback and freeze protection). */
  readonly metadataDir: string;
  readonly group: string;
  /** Largest bundle accepted, its rule packs included (default 256 MiB), whatever the metadata says. */
  readonly maxBundleBytes?: number;
  /** Rule packs the agent already holds (verified), so they are not downloaded again. */
  readonly havePack?: PackLookup;
}

/** A bundle that passed every TUF and Vigil check. */
export interface PulledBundle {
  readonly sha256: string;
  readonly bytes: Uint8Array;
  readonly document: BundleDocument;
  /** Version of the signed targets metadata that listed it: the bundle's version. */
  readonly version: number;
  /** The rule packs this pull downloaded (those `havePack` did not hold), by sha256, each matching signed metadata and the bundle's pins. */
  readonly packs: ReadonlyMap<string, Uint8Array>;
}

/** The result of one update: a verified bundle, a refusal, or an origin that could not be reached. */
export type UpdateOutcome =
  | { readonly kind: 'verified'; readonly bundle: PulledBundle }
  | { readonly kind: 'refused'; readonly refusals: readonly Refusal[] }
  | { readonly kind: 'unreachable'; readonly error: TransportError };

const TRUSTED_FILES = ['root.json', 'timestamp.json', 'snapshot.json', 'targets.json'] as const;

/** The root to start from: the one in state when it is valid and not older than the pinned one. */
function startingRoot(trust: Uint8Array, cached: Uint8Array | undefined): Uint8Array | Refusal {
  let pinned: Metadata<Root>;
  try {
    pinned = parseRoot(trust);
    pinned.verifyDelegate(MetadataKind.Root, pinned);
  } catch (error) {
    return refusal('VR1015', 'trust', { detail: (error as Error).message });
  }
  if (!cached) return trust;
  try {
    const root = parseRoot(cached);
    root.verifyDelegate(MetadataKind.Root, root);
    return root.signed.version >= pinned.signed.version ? cached : trust;
  } catch {
    // A damaged state falls back to the pinned root: trust is never widened, only protection from an older cache is lost.
    return trust;
  }
}

/** Maps a tuf-js failure to a refusal code. */
function tufRefusal(error: unknown): Refusal {
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.constructor.name : 'Error';
  if (name === 'ExpiredMetadataError' || /expired/i.test(message)) return refusal('VR1007', 'metadata', { detail: message });
  if (name === 'BadVersionError' || name === 'EqualVersionError' || /version/i.test(message) && /(lower|below|older|less)/i.test(message)) return refusal('VR1006', 'metadata', { detail: message });
  if (name === 'DownloadLengthMismatchError' || /length/i.test(message)) return refusal('VR1010', 'metadata', { actual: 'more', limit: 'the signed length' });
  if (/hash|digest/i.test(message)) return refusal('VR1001', 'metadata', { detail: message });
  return refusal('VR1018', 'metadata', { detail: message });
}

/** Checks a verified bundle's shape, group binding, capabilities and provenance (docs/bundle-format.md §6 step 6). */
function checkPulled(group: string, info: TargetFile, bytes: Uint8Array, provenance: Uint8Array | undefined, root: Root, version: number): Omit<PulledBundle, 'packs'> | Refusal {
  const checked = checkVerifiedBundle(group, info, bytes, provenance, root, AGENT_CAPABILITIES);
  return 'code' in checked ? checked : { sha256: checked.sha256, bytes, document: checked.document, version };
}

/** Reads a file, or undefined when it is absent or unreadable. */
function readOptional(file: string): Uint8Array | undefined {
  try {
    return new Uint8Array(readFileSync(file));
  } catch {
    return undefined;
  }
}

/** Copies the now-trusted metadata into the state, each file atomically (temp, fsync, rename). */
function persistTrusted(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of TRUSTED_FILES) {
    const bytes = readOptional(path.join(from, name));
    if (bytes) writeFileAtomic(path.join(to, name), bytes);
  }
}

/** Runs the TUF client workflow (tuf-js's Updater) for the agent's group and checks the bundle; never throws. */
export async function updateBundle(opts: UpdateOptions): Promise<UpdateOutcome> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'vigil-tuf-'));
  try {
    return await updateIn(opts, scratch);
  } catch (error) {
    const t = opts.fetcher.lastTransportFailure;
    if (t) return { kind: 'unreachable', error: t };
    return { kind: 'refused', refusals: [refusal('VR1018', 'metadata', { detail: (error as Error).message })] };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function updateIn(opts: UpdateOptions, scratch: string): Promise<UpdateOutcome> {
  const metaDir = path.join(scratch, 'metadata');
  const targetDir = path.join(scratch, 'targets');
  mkdirSync(metaDir);
  mkdirSync(targetDir);
  const root = startingRoot(opts.trust, readOptional(path.join(opts.metadataDir, 'root.json')));
  if (!(root instanceof Uint8Array)) return { kind: 'refused', refusals: [root] };
  writeFileSync(path.join(metaDir, 'root.json'), root);
  for (const name of TRUSTED_FILES.slice(1)) {
    const bytes = readOptional(path.join(opts.metadataDir, name));
    if (bytes) writeFileSync(path.join(metaDir, name), bytes);
  }
  opts.fetcher.lastTransportFailure = undefined;
  const updater = new Updater({ metadataDir: metaDir, metadataBaseUrl: opts.fetcher.baseUrl, targetDir, targetBaseUrl: opts.fetcher.targetBaseUrl, fetcher: opts.fetcher });
  try {
    await updater.refresh();
  } catch (error) {
    const t = opts.fetcher.lastTransportFailure;
    if (t) return { kind: 'unreachable', error: t };
    const served = opts.fetcher.served;
    const previousTimestamp = readOptional(path.join(opts.metadataDir, 'timestamp.json'));
    const why = diagnoseMetadata({
      reader: { size: (rel) => served.get(rel)?.length, read: (rel) => served.get(rel) ?? new Uint8Array() },
      trusted: root, trustedName: 'root.json', ...(previousTimestamp ? { previousTimestamp } : {}), now: new Date(),
    });
    return { kind: 'refused', refusals: [why ?? tufRefusal(error)] };
  }
  persistTrusted(metaDir, opts.metadataDir);
  const finalRoot = parseRoot(new Uint8Array(readFileSync(path.join(metaDir, 'root.json')))).signed;
  const targets = Metadata.fromJSON(MetadataKind.Targets, parseJsonBytes(new Uint8Array(readFileSync(path.join(metaDir, 'targets.json')))) as never) as Metadata<Targets>;
  const bundlePath = bundleTargetPath(opts.group);
  const info = targets.signed.targets[bundlePath];
  if (!info) return { kind: 'refused', refusals: [refusal('VR1014', targetFilePath(bundlePath))] };
  const cap = opts.maxBundleBytes ?? 256 << 20;
  if (info.length > cap) return { kind: 'refused', refusals: [refusal('VR1010', targetFilePath(bundlePath), { actual: info.length, limit: cap })] };
  // One download through tuf-js (length and sha256 checked against targets.json), as bytes or the outcome that stops the update.
  const download = async (t: TargetFile): Promise<Uint8Array | UpdateOutcome> => {
    try {
      return new Uint8Array(readFileSync(await updater.downloadTarget(t, path.join(targetDir, sha256Hex(t.path)))));
    } catch (error) {
      const failure = opts.fetcher.lastTransportFailure;
      if (failure) return { kind: 'unreachable', error: failure };
      const file = targetFilePath(t.path);
      return { kind: 'refused', refusals: [error instanceof DownloadLengthMismatchError ? refusal('VR1010', file, { actual: 'more', limit: t.length }) : refusal('VR1001', file, { detail: (error as Error).message })] };
    }
  };
  const fetched = new Map<string, Uint8Array>();
  for (const p of [bundlePath, provenanceTargetPath(opts.group)]) {
    const t = targets.signed.targets[p];
    if (!t) continue;
    const got = await download(t);
    if (!(got instanceof Uint8Array)) return got;
    fetched.set(p, got);
  }
  const checked = checkPulled(opts.group, info, fetched.get(bundlePath) as Uint8Array, fetched.get(provenanceTargetPath(opts.group)), finalRoot, targets.signed.version);
  if ('code' in checked) return { kind: 'refused', refusals: [checked] };
  // The rule packs the bundle pins: only those the agent does not hold yet are downloaded.
  const refs = checkPackTargets(checked.document, targets.signed.targets);
  if ('code' in refs) return { kind: 'refused', refusals: [refs] };
  // The cap holds for the bundle with its packs: the rules are most of a bundle's size.
  const total = refs.reduce((n, r) => n + r.length, info.length);
  if (total > cap) return { kind: 'refused', refusals: [refusal('VR1010', targetFilePath(bundlePath), { actual: total, limit: cap })] };
  const all = new Map<string, Uint8Array>();
  const downloaded = new Map<string, Uint8Array>();
  for (const ref of refs) {
    const held = opts.havePack?.(ref.sha256);
    const got = held ?? (await download(targets.signed.targets[ref.path] as TargetFile));
    if (!(got instanceof Uint8Array)) return got;
    all.set(ref.sha256, got);
    if (!held) downloaded.set(ref.sha256, got);
  }
  const resolved = resolveRulePacks(checked.document, (sha) => all.get(sha));
  if (typeof resolved === 'string') return { kind: 'refused', refusals: [refusal('VR1016', targetFilePath(bundlePath), { detail: resolved })] };
  return { kind: 'verified', bundle: { ...checked, packs: downloaded } };
}

/** When the trusted timestamp in the state expires, if it is readable. */
export function trustedExpiry(metadataDir: string): Date | undefined {
  const bytes = readOptional(path.join(metadataDir, 'timestamp.json'));
  if (!bytes) return undefined;
  try {
    const expires = (parseJsonBytes(bytes) as { signed?: { expires?: unknown } }).signed?.expires;
    return typeof expires === 'string' ? new Date(expires) : undefined;
  } catch {
    return undefined;
  }
}
