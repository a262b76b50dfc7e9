/**
 * The repository as the server offers it: immutable in-memory releases of OUT. Each time OUT's
 * timestamp.json changes, the whole directory is read into a new release, so an agent held back
 * by a rollout ring keeps receiving the complete older repository, byte for byte, and every file
 * has a strong ETag (its sha256). The server never verifies: agents do. It only reads what OUT
 * lists, by safe names, so no request path ever reaches the file system.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256Hex } from '../bundle/canonical.js';
import { groupOfTargetPath, isSafePath, METADATA_FILES } from '../bundle/layout.js';
import { listFiles } from '../bundle/repo-files.js';

/** One file of a release. */
export interface ServedFile {
  readonly bytes: Uint8Array;
  /** Strong ETag: the quoted sha256 of the bytes. */
  readonly etag: string;
}

/** One group's bundle in a release, as targets.json lists it. */
export interface ReleaseBundle {
  readonly digest: string;
  readonly ring?: string;
  /** The Rollout that stages the group, as compiled into the bundle (`content.rollout`: {name, spec}). */
  readonly rollout?: unknown;
}

/** An immutable snapshot of OUT. */
export interface Release {
  /** sha256 of its timestamp.json (first 16 hex digits). */
  readonly id: string;
  readonly seq: number;
  readonly loadedAt: number;
  readonly timestampVersion: number;
  readonly targetsVersion: number;
  readonly files: ReadonlyMap<string, ServedFile>;
  readonly bundles: ReadonlyMap<string, ReleaseBundle>;
}

/** The compiled Rollout in a bundle file, if it has one (read for routing only; agents verify bundles). */
function rolloutOf(file: ServedFile | undefined): unknown {
  if (!file) return undefined;
  try {
    const doc = JSON.parse(Buffer.from(file.bytes).toString('utf8')) as { content?: { rollout?: unknown } };
    return doc.content?.rollout;
  } catch {
    return undefined;
  }
}

/** Reads OUT into a release; undefined when OUT holds no repository yet or is mid-write. */
export async function loadRelease(out: string, seq: number, now: number): Promise<Release | undefined> {
  const files = new Map<string, ServedFile>();
  let names: string[];
  try {
    names = await listFiles(out, true);
  } catch {
    return undefined;
  }
  for (const rel of names) {
    if (!isSafePath(rel)) continue;
    try {
      const bytes = new Uint8Array(await readFile(path.join(out, ...rel.split('/'))));
      files.set(rel, { bytes, etag: `"${sha256Hex(bytes)}"` });
    } catch {
      // A file removed while reading: the next scan sees the settled directory.
    }
  }
  const timestamp = files.get(METADATA_FILES.timestamp);
  const targets = files.get(METADATA_FILES.targets);
  if (!timestamp || !targets) return undefined;
  const signedOf = (f: ServedFile) => (JSON.parse(Buffer.from(f.bytes).toString('utf8')) as { signed?: Record<string, unknown> }).signed ?? {};
  let timestampVersion = 0;
  let targetsVersion = 0;
  const bundles = new Map<string, ReleaseBundle>();
  try {
    timestampVersion = Number(signedOf(timestamp).version) || 0;
    const signed = signedOf(targets) as { version?: unknown; targets?: Record<string, { hashes?: { sha256?: unknown }; custom?: { vigil?: { ring?: unknown } } }> };
    targetsVersion = Number(signed.version) || 0;
    for (const [p, t] of Object.entries(signed.targets ?? {})) {
      const group = groupOfTargetPath(p);
      if (!group || !p.endsWith('/bundle.json') || typeof t?.hashes?.sha256 !== 'string') continue;
      const ring = t.custom?.vigil?.ring;
      const rollout = rolloutOf(files.get(`targets/${p}`));
      bundles.set(group, { digest: t.hashes.sha256, ...(typeof ring === 'string' ? { ring } : {}), ...(rollout ? { rollout } : {}) });
    }
  } catch {
    // Unparseable metadata is still served: agents refuse it with a precise reason.
  }
  return { id: sha256Hex(timestamp.bytes).slice(0, 16), seq, loadedAt: now, timestampVersion, targetsVersion, files, bundles };
}

/** The releases the server knows, newest last; it notices changes to OUT by polling timestamp.json. */
export class ReleaseStore {
  private readonly list: Release[] = [];
  private seq = 0;
  private lastTimestamp: string | undefined;

  constructor(private readonly out: string) {}

  /** The newest release, if OUT held a repository at some point. */
  latest(): Release | undefined {
    return this.list.at(-1);
  }

  /** A release by id. */
  get(id: string): Release | undefined {
    return this.list.find((r) => r.id === id);
  }

  /** Every release kept. */
  all(): readonly Release[] {
    return this.list;
  }

  /** Re-reads OUT when its timestamp changed; returns the new release, if any. */
  async refresh(now: number): Promise<Release | undefined> {
    let stamp: string;
    try {
      stamp = sha256Hex(new Uint8Array(await readFile(path.join(this.out, METADATA_FILES.timestamp))));
    } catch {
      return undefined;
    }
    if (stamp === this.lastTimestamp) return undefined;
    const release = await loadRelease(this.out, ++this.seq, now);
    if (!release || release.id !== stamp.slice(0, 16)) return undefined; // OUT changed while read: next scan
    this.lastTimestamp = stamp;
    if (this.get(release.id)) return undefined;
    this.list.push(release);
    return release;
  }

  /** Drops releases no ring needs any more (the newest is always kept). */
  retain(needed: ReadonlySet<string>): void {
    for (let i = this.list.length - 2; i >= 0; i--) if (!needed.has((this.list[i] as Release).id)) this.list.splice(i, 1);
  }
}
