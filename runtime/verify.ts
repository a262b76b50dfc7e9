/**
 * Verifies an OUT repository, or one bundle in it, exactly as an agent does: tuf-js's Updater
 * (the TUF client workflow, spec §5) runs over OUT through a file-system fetcher, then every
 * target is checked by length and hash before its bytes are parsed, then bundles are checked for
 * group binding, IR version and provenance, and finally every file in OUT is ticked off: a file
 * no signed metadata covers is refused by name. When tuf-js refuses, diagnose.ts names the reason.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Metadata, MetadataKind, type Root, type TargetFile, type Targets } from '@tufjs/models';
import { Updater } from 'tuf-js';
import { canonicalBytes, canonicalJson, parseJsonBytes, sha256Hex } from './bundle/canonical.js';
import { diagnoseMetadata, MAX_LENGTH, signatureRefusal } from './bundle/diagnose.js';
import { type BundleDocument, type Capabilities } from './bundle/envelope.js';
import { AGENT_CAPABILITIES } from './engine/capabilities.js';
import { loadContent } from './activate.js';
import { LocalFetcher, UnsafeNameError } from './bundle/local-fetcher.js';
import { fileRole, groupOfTargetPath, isSafePath, isSafeSegment, provenanceTargetPath, TARGETS_DIR, targetFilePath } from './bundle/layout.js';
import { parseRoot } from './bundle/metadata.js';
import { listFiles } from './bundle/repo-files.js';
import { refusal, type Refusal } from './refusals.js';
import { checkPackTargets, checkVerifiedBundle } from './bundle/check-bundle.js';
import { resolveRulePacks } from './bundle/rule-packs.js';
import { inputManifestProblem, inputsReference } from './bundle/provenance.js';

/** What to verify and against which trust. */
export interface VerifyOptions {
  /** The OUT directory (a TUF repository). */
  readonly out: string;
  /** The pinned trust root (signed root metadata bytes). */
  readonly trust: Uint8Array;
  /** How to name the trust root in refusals. */
  readonly trustName?: string;
  /** Verify only this bundle (TUF target path, e.g. `groups/g1/bundle.json`) instead of every file. */
  readonly bundle?: string;
  /** The agent's group: any bundle of another group is refused (mix-and-match). */
  readonly group?: string;
  /** Trusted-metadata cache (an agent's state): enables rollback protection; updated on success. */
  readonly stateDir?: string;
  /** What the bundle may use; by default exactly what this agent runs (its IR versions and features), so verify refuses what an agent would. */
  readonly capabilities?: Capabilities;
}

/** A bundle that passed every check, with its verified bytes and parsed document. */
export interface VerifiedBundle {
  readonly path: string;
  readonly group: string;
  readonly sha256: string;
  readonly bytes: Uint8Array;
  readonly document: BundleDocument;
}

/** The verdict: valid only when there is no refusal. */
export interface VerifyResult {
  readonly ok: boolean;
  readonly refusals: readonly Refusal[];
  readonly bundles: readonly VerifiedBundle[];
}

const refused = (refusals: Refusal[]): VerifyResult => ({ ok: false, refusals, bundles: [] });

/** Reads a file, or undefined when absent. */
async function readOptional(file: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(file));
  } catch {
    return undefined;
  }
}

/** Verifies OUT (or one bundle in it) against a pinned trust root; never throws for bad input. */
export async function verifyRepository(opts: VerifyOptions): Promise<VerifyResult> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'vigil-verify-'));
  try {
    return await verifyIn(opts, scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Picks the root to start from: the pinned one, or a newer one the state already trusts. */
async function startingRoot(opts: VerifyOptions, trustName: string): Promise<{ bytes: Uint8Array; root: Metadata<Root> } | Refusal> {
  let pinned: Metadata<Root>;
  try {
    pinned = parseRoot(opts.trust);
    pinned.verifyDelegate(MetadataKind.Root, pinned);
  } catch (error) {
    return refusal('VR1015', trustName, { detail: (error as Error).message });
  }
  const cached = opts.stateDir ? await readOptional(path.join(opts.stateDir, 'root.json')) : undefined;
  if (cached) {
    try {
      const root = parseRoot(cached);
      if (root.signed.version >= pinned.signed.version) return { bytes: cached, root };
    } catch {
      // an unreadable cache is ignored; the pinned root still anchors trust
    }
  }
  return { bytes: opts.trust, root: pinned };
}

/** Explains why a target download failed: missing, another group's bundle, oversized or tampered. */
function targetRefusal(fetcher: LocalFetcher, info: TargetFile, all: Record<string, TargetFile>): Refusal {
  const file = targetFilePath(info.path);
  const size = fetcher.size(file);
  if (size === undefined) return refusal('VR1014', file);
  const maxKnown = Math.max(...Object.values(all).map((t) => t.length));
  const digest = size <= maxKnown ? sha256Hex(fetcher.read(file)) : undefined;
  const twin = Object.values(all).find((t) => t.path !== info.path && t.hashes.sha256 === digest);
  const expected = groupOfTargetPath(info.path);
  const actual = twin ? groupOfTargetPath(twin.path) : undefined;
  if (expected !== undefined && actual !== undefined && actual !== expected) return refusal('VR1008', file, { expected, actual });
  if (size > info.length) return refusal('VR1010', file, { actual: size, limit: info.length });
  return refusal('VR1001', file, { detail: `its sha256 is ${digest ?? 'unknown'}, signed ${info.hashes.sha256}` });
}

/** Checks one verified bundle: shape, group binding, capabilities and provenance. */
async function checkBundle(opts: VerifyOptions, info: TargetFile, bytes: Uint8Array, provenance: Uint8Array | undefined, root: Root, all: Readonly<Record<string, TargetFile>>, fetch: (p: string) => Promise<Uint8Array | Refusal>): Promise<VerifiedBundle | Refusal> {
  const pathGroup = groupOfTargetPath(info.path) ?? '';
  // A bundle for another group than the one asked for is refused as such first (mix-and-match).
  if (opts.group !== undefined && pathGroup !== opts.group) return refusal('VR1008', targetFilePath(info.path), { expected: opts.group, actual: pathGroup });
  const checked = checkVerifiedBundle(pathGroup, info, bytes, provenance, root, opts.capabilities ?? AGENT_CAPABILITIES);
  if ('code' in checked) return checked;
  const inputs = await checkInputManifest(checked.statement, pathGroup, all, fetch);
  if (inputs) return inputs;
  // Its rule packs: each pinned by the bundle, signed in targets.json, and well-formed.
  const refs = checkPackTargets(checked.document, all);
  if ('code' in refs) return refs;
  const packs = new Map<string, Uint8Array>();
  for (const ref of refs) {
    const got = await fetch(ref.path);
    if (!(got instanceof Uint8Array)) return got;
    packs.set(ref.sha256, got);
  }
  const document = resolveRulePacks(checked.document, (sha) => packs.get(sha));
  if (typeof document === 'string') return refusal('VR1016', targetFilePath(info.path), { detail: document });
  const unloadable = loadProblem(checked.document, document);
  if (unloadable) return refusal('VR1016', targetFilePath(info.path), { detail: unloadable });
  return { path: info.path, group: pathGroup, sha256: checked.sha256, bytes, document };
}

/** What an agent would refuse at activation, by the packed content's digest: groups with the same content are loaded once. */
const loadProblems = new Map<string, string>();

/**
 * Why an agent could not activate this bundle (its IR, engine or self-test; sealed credentials
 * aside, which need the agent's key), or undefined. `packed` is the document as signed,
 * `document` the same with its rule packs resolved.
 */
function loadProblem(packed: BundleDocument, document: BundleDocument): string | undefined {
  let key: string;
  let problem: string;
  try {
    key = sha256Hex(canonicalBytes(packed.content));
    const known = loadProblems.get(key);
    if (known !== undefined) return known || undefined;
    const loaded = loadContent(document);
    problem = 'code' in loaded ? loaded.message : '';
  } catch (error) {
    return `the bundle cannot be checked (${error instanceof Error ? error.name : 'error'})`;
  }
  loadProblems.set(key, problem);
  return problem || undefined;
}

/**
 * The input manifest a bundle's statement names (docs/bundle-format.md §5): a target of the same
 * signed targets.json with the digest the statement signs, and a well-formed manifest. Agents do
 * not fetch it (they need no input list); an auditor's verify does.
 */
async function checkInputManifest(statement: Record<string, unknown>, group: string, all: Readonly<Record<string, TargetFile>>, fetch: (p: string) => Promise<Uint8Array | Refusal>): Promise<Refusal | undefined> {
  const provFile = targetFilePath(provenanceTargetPath(group));
  const ref = inputsReference(statement);
  if (ref === 'inline') return undefined;
  if ('problem' in ref) return refusal('VR1017', provFile, { detail: ref.problem });
  const info = isSafePath(ref.name) && Object.hasOwn(all, ref.name) ? all[ref.name] : undefined;
  if (!info) return refusal('VR1017', provFile, { detail: `it names the input manifest \`${ref.name}\`, which targets.json does not list` });
  if (info.hashes.sha256 !== ref.sha256) return refusal('VR1017', provFile, { detail: `it names input manifest sha256 ${ref.sha256}, targets.json lists ${String(info.hashes.sha256)}` });
  const got = await fetch(ref.name);
  if (!(got instanceof Uint8Array)) return got;
  const problem = manifestProblems.get(got) ?? inputManifestProblem(got) ?? '';
  manifestProblems.set(got, problem);
  return problem === '' ? undefined : refusal('VR1017', targetFilePath(ref.name), { detail: problem });
}

/** Each manifest's check, once: every bundle of a build names the same one. */
const manifestProblems = new WeakMap<Uint8Array, string>();

/** Ticks off every file in OUT: each must be verified metadata, a signed target (checked above), or a root of the chain. */
function tickOff(files: readonly string[], fetcher: LocalFetcher, signed: ReadonlySet<string>, start: Metadata<Root>): Refusal[] {
  const out: Refusal[] = [];
  const history = new Map<number, string>();
  for (const rel of files) {
    const role = fileRole(rel);
    if (role.kind === 'target' && signed.has(role.targetPath)) continue;
    if ((role.kind === 'timestamp' || role.kind === 'snapshot' || role.kind === 'targets' || role.kind === 'root') && fetcher.served.has(rel)) continue;
    if (role.kind === 'root' && role.version <= start.signed.version && fetcher.size(rel) !== undefined) history.set(role.version, rel);
    else out.push(refusal('VR1013', rel));
  }
  out.push(...checkHistory(history, fetcher, start));
  return out;
}

/**
 * Roots up to the trusted one are history, checked newest first as TUF chains them: the trusted
 * version must carry the trusted root's signed content, and each older root must be signed by
 * its own keys and be the root whose keys signed the next one. A root the chain does not reach
 * (a gap, or a file signed only by keys the next root never trusted) is refused, not ticked off.
 */
function checkHistory(history: ReadonlyMap<number, string>, fetcher: LocalFetcher, start: Metadata<Root>): Refusal[] {
  const out: Refusal[] = [];
  // The newest root verified so far, and its file: the one the next older root must have signed.
  let next: { readonly root: Metadata<Root>; readonly rel: string } | undefined = { root: start, rel: '' };
  for (const version of [...history.keys()].sort((a, b) => b - a)) {
    const rel = history.get(version)!;
    const checked = historyRoot(rel, version, fetcher, start, next);
    if ('code' in checked) out.push(checked);
    next = 'code' in checked ? undefined : { root: checked, rel };
  }
  return out;
}

/** One history root, checked against the trusted root (same version) or the newer root it must have signed; the root or why not. */
function historyRoot(rel: string, version: number, fetcher: LocalFetcher, start: Metadata<Root>, next: { readonly root: Metadata<Root>; readonly rel: string } | undefined): Metadata<Root> | Refusal {
  const size = fetcher.size(rel) ?? 0;
  if (size > MAX_LENGTH.root) return refusal('VR1010', rel, { actual: size, limit: MAX_LENGTH.root });
  const bytes = fetcher.read(rel);
  let old: Metadata<Root>;
  try {
    old = parseRoot(bytes);
  } catch (error) {
    return refusal('VR1001', rel, { detail: `it is not root metadata (${(error as Error).message})` });
  }
  const form = metadataFormProblem(bytes);
  const why = signatureRefusal(rel, old, 'root', old.signed, new Map()) ?? (form ? refusal('VR1001', rel, { detail: form }) : undefined);
  if (why) return why;
  if (old.signed.version !== version) return refusal('VR1006', rel, { detail: `it holds root version ${old.signed.version}` });
  if (version === start.signed.version) {
    return canonicalJson(old.signed.toJSON()) === canonicalJson(start.signed.toJSON()) ? old : refusal('VR1001', rel, { detail: 'it differs from the trusted root of the same version' });
  }
  if (next === undefined || next.root.signed.version !== version + 1) return refusal('VR1001', rel, { detail: `root version ${version + 1} is missing or refused, so this root does not chain to the trusted one` });
  if (signatureRefusal(next.rel, next.root, 'root', old.signed, new Map())) return refusal('VR1001', rel, { detail: `its root keys did not sign root version ${version + 1}, so it is not that root's predecessor` });
  return old;
}

/** Why metadata bytes are not the canonical JSON of exactly `{signatures, signed}`, or undefined when they are. */
function metadataFormProblem(bytes: Uint8Array): string | undefined {
  try {
    const json = parseJsonBytes(bytes);
    const keys = json !== null && typeof json === 'object' && !Array.isArray(json) ? Object.keys(json).sort() : [];
    if (keys.join(',') !== 'signatures,signed') return 'it must hold exactly `signed` and `signatures`';
    return Buffer.from(canonicalBytes(json)).equals(Buffer.from(bytes)) ? undefined : 'it is not canonical JSON, so it holds bytes no signature covers';
  } catch (error) {
    return `it cannot be read as canonical JSON (${error instanceof Error ? error.name : 'error'})`;
  }
}

/** Why OUT could not be listed: a path too long or looping is an unsafe name; anything else, a file that cannot be checked. */
function listingRefusal(out: string, error: NodeJS.ErrnoException): Refusal {
  const rel = error.path ? path.relative(out, error.path).split(path.sep).join('/') || '.' : '.';
  if (error.code === 'ENAMETOOLONG' || error.code === 'ELOOP') return refusal('VR1011', rel, { name: rel.length > 120 ? `${rel.slice(0, 120)}…` : rel });
  return refusal('VR1001', rel, { detail: `it cannot be listed (${error.code ?? 'error'})` });
}

/** The whole verification, with a scratch directory for tuf-js's metadata cache and downloads. */
async function verifyIn(opts: VerifyOptions, scratch: string): Promise<VerifyResult> {
  loadProblems.clear();
  const trustName = opts.trustName ?? 'root.json';
  let files: string[];
  try {
    files = await listFiles(opts.out);
  } catch (error) {
    return refused([listingRefusal(opts.out, error as NodeJS.ErrnoException)]);
  }
  if (files.length === 0) return refused([refusal('VR1014', opts.out)]);
  const unsafe = files.filter((f) => !isSafePath(f)).map((f) => refusal('VR1011', f, { name: f }));
  if (unsafe.length > 0) return refused(unsafe);
  if (opts.bundle !== undefined && !isSafePath(opts.bundle)) return refused([refusal('VR1011', opts.bundle, { name: opts.bundle })]);

  const start = await startingRoot(opts, trustName);
  if ('code' in start) return refused([start]);
  const metaDir = path.join(scratch, 'metadata');
  const targetDir = path.join(scratch, 'targets');
  await mkdir(metaDir);
  await mkdir(targetDir);
  await writeFile(path.join(metaDir, 'root.json'), start.bytes);
  const previousTimestamp = opts.stateDir ? await readOptional(path.join(opts.stateDir, 'timestamp.json')) : undefined;
  if (previousTimestamp) await writeFile(path.join(metaDir, 'timestamp.json'), previousTimestamp);

  const fetcher = new LocalFetcher(opts.out, scratch);
  const updater = new Updater({ metadataDir: metaDir, metadataBaseUrl: fetcher.baseUrl, targetDir, targetBaseUrl: `${fetcher.baseUrl}${TARGETS_DIR}/`, fetcher });
  try {
    await updater.refresh();
  } catch (error) {
    const why = diagnoseMetadata({ reader: fetcher, trusted: start.bytes, trustedName: trustName, ...(previousTimestamp ? { previousTimestamp } : {}), now: new Date() });
    return refused([why ?? fallback(error)]);
  }

  // Signatures cover `signed` only: bytes around it (a duplicate key JSON.parse drops, padding)
  // would pass unseen. Every metadata file is canonical JSON of exactly `signed` and `signatures`.
  const loose = [...fetcher.served].filter(([rel]) => fileRole(rel).kind !== 'target').flatMap(([rel, bytes]) => {
    const problem = metadataFormProblem(bytes);
    return problem ? [refusal('VR1001', rel, { detail: problem })] : [];
  });
  if (loose.length > 0) return refused(loose);

  const finalRoot = parseRoot(await readFile(path.join(metaDir, 'root.json'))).signed;
  const targets = Metadata.fromJSON(MetadataKind.Targets, parseJsonBytes(await readFile(path.join(metaDir, 'targets.json'))) as never) as Metadata<Targets>;
  const all = targets.signed.targets;
  const unsafeTargets = Object.keys(all).filter((p) => !isSafePath(p)).map((p) => refusal('VR1011', 'targets.json', { name: p }));
  const unsafeRoles = (targets.signed.delegations?.roles ? Object.keys(targets.signed.delegations.roles) : []).filter((r) => !isSafeSegment(r)).map((r) => refusal('VR1011', 'targets.json', { name: r }));
  if (unsafeTargets.length + unsafeRoles.length > 0) return refused([...unsafeTargets, ...unsafeRoles]);

  const wanted = opts.bundle !== undefined ? [opts.bundle, provenanceTargetPath(groupOfTargetPath(opts.bundle) ?? '')].filter((p) => Object.hasOwn(all, p)) : Object.keys(all).sort();
  if (opts.bundle !== undefined && !Object.hasOwn(all, opts.bundle)) return refused([refusal('VR1013', targetFilePath(opts.bundle))]);
  const verifiedBytes = new Map<string, Uint8Array>();
  const refusals: Refusal[] = [];
  // Each target is downloaded (and checked against targets.json by tuf-js) once, even when several bundles share it.
  const failed = new Map<string, Refusal>();
  const fetch = async (p: string): Promise<Uint8Array | Refusal> => {
    const known = verifiedBytes.get(p) ?? failed.get(p);
    if (known) return known;
    const info = all[p] as TargetFile;
    try {
      const bytes = new Uint8Array(await readFile(await updater.downloadTarget(info, path.join(targetDir, sha256Hex(p)))));
      verifiedBytes.set(p, bytes);
      return bytes;
    } catch (error) {
      const why = error instanceof UnsafeNameError ? refusal('VR1011', targetFilePath(p), { name: p }) : targetRefusal(fetcher, info, all);
      failed.set(p, why);
      return why;
    }
  };
  for (const p of wanted) {
    const got = await fetch(p);
    if (!(got instanceof Uint8Array)) refusals.push(got);
  }
  const bundles: VerifiedBundle[] = [];
  for (const [p, bytes] of [...verifiedBytes]) {
    if (!/^groups\/[^/]+\/bundle\.json$/.test(p)) continue;
    const result = await checkBundle(opts, all[p] as TargetFile, bytes, verifiedBytes.get(provenanceTargetPath(groupOfTargetPath(p) ?? '')), finalRoot, all, fetch);
    // A pack that failed to download was refused above already.
    if (!('code' in result)) bundles.push(result);
    else if (!refusals.includes(result)) refusals.push(result);
  }
  if (opts.bundle === undefined) refusals.push(...tickOff(files, fetcher, new Set(Object.keys(all)), start.root));
  if (refusals.length > 0) return refused(refusals);
  if (opts.stateDir) await persistState(metaDir, opts.stateDir);
  return { ok: true, refusals: [], bundles };
}

/** Copies the now-trusted root and timestamp into the agent state, for the next rollback check. */
async function persistState(metaDir: string, stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  for (const name of ['root.json', 'timestamp.json']) await copyFile(path.join(metaDir, name), path.join(stateDir, name));
}

/** A refusal from tuf-js's own error when the diagnosis found nothing more precise. */
function fallback(error: unknown): Refusal {
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.constructor.name : 'Error';
  if (error instanceof UnsafeNameError) return refusal('VR1011', error.unsafeName, { name: error.unsafeName });
  if (name === 'ExpiredMetadataError' || /expired/i.test(message)) return refusal('VR1007', 'metadata', { detail: message });
  if (name === 'BadVersionError') return refusal('VR1006', 'metadata', { detail: message });
  if (name === 'DownloadLengthMismatchError') return refusal('VR1010', 'metadata', { actual: 'more', limit: 'maximum' });
  return refusal('VR1018', 'metadata', { detail: message });
}
