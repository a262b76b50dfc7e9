import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSigningKey, type SigningKey } from '../../../runtime/bundle/keys.js';
import { writeArtifacts } from '../../../runtime/bundle/repo-files.js';
import type { RepositoryState } from '../../../runtime/bundle/tuf-repo.js';
import { createRoot, type RootSpec } from '../../../runtime/bundle/trust.js';
import { buildRepository, type GroupBundle } from '../../../targets/bundle.js';

/** A fresh temp directory. */
export function tempDir(prefix = 'vigil-bundle-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** A key with its PREFIX.key file written to `dir`. */
export async function keyFile(dir: string, name: string): Promise<{ key: SigningKey; file: string; pub: string }> {
  const { key, privateText, publicText } = generateSigningKey();
  const file = path.join(dir, `${name}.key`);
  await writeFile(file, privateText, { mode: 0o600 });
  await writeFile(path.join(dir, `${name}.pub`), publicText);
  return { key, file, pub: path.join(dir, `${name}.pub`) };
}

/** A root where `keys` hold every role with threshold 1, unless `targets` overrides that role. */
export function simpleRoot(keys: readonly SigningKey[], opts: { targets?: { keys: SigningKey[]; threshold: number }; expires?: string } = {}): Uint8Array {
  const all = { keys, threshold: 1 };
  const spec: RootSpec = { root: all, targets: opts.targets ?? all, snapshot: all, timestamp: all, expires: opts.expires ?? '2099-01-01T00:00:00Z' };
  return createRoot(spec, keys);
}

/** A small hand-made bundle document (the real IR comes from the compiler). */
export function bundleDoc(group: string, rules: readonly string[] = []): object {
  // Valid IR (an agent, and so `vigil verify`, loads it): a rule by that id that never matches.
  const ir = rules.map((id) => ({ type: 'detection', id, title: id, logsource: {}, attribution: {}, variants: [{ condition: { op: 'const', value: false } }] }));
  return { irVersion: 1, features: [], group, content: { rules: ir } };
}

/** Provenance inputs for a commit at `commitTime`. */
export function provenance(commitTime: Date) {
  return {
    commit: '1'.repeat(40), tree: '2'.repeat(40), author: 'Ada <ada@example.org>', commitTime: commitTime.toISOString(),
    compilerVersion: '0.1.0', inputs: [{ path: 'policies/a.yaml', sha256: '3'.repeat(64) }],
  };
}

/** Options of `publish`. */
export interface PublishOptions {
  readonly roots: readonly Uint8Array[];
  readonly keys: readonly SigningKey[];
  readonly commitTime?: Date;
  readonly bundles?: readonly GroupBundle[];
  readonly previous?: RepositoryState;
}

/** Builds a repository with the bundle target and writes it to `out`. */
export async function publish(out: string, opts: PublishOptions): Promise<void> {
  const result = await buildRepository({
    bundles: opts.bundles ?? [{ group: 'g1', document: bundleDoc('g1') }, { group: 'g2', document: bundleDoc('g2', ['r2']) }],
    provenance: provenance(opts.commitTime ?? new Date(Date.now() - 3_600_000)),
    roots: opts.roots, keys: opts.keys, ...(opts.previous ? { previous: opts.previous } : {}),
  });
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('; '));
  await writeArtifacts(out, result.artifacts, { prune: true });
}
