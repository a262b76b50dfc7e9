import { describe, expect, it } from 'vitest';
import { parseJsonBytes } from '../../../runtime/bundle/canonical.js';
import { generateSigningKey } from '../../../runtime/bundle/keys.js';
import type { Artifact } from '../../../runtime/bundle/layout.js';
import { parseTimestamp } from '../../../runtime/bundle/metadata.js';
import { signRepository, type RepositoryState } from '../../../runtime/bundle/tuf-repo.js';
import { buildRepository, type RepositoryInput } from '../../../targets/bundle.js';
import { bundleDoc, provenance, simpleRoot } from './repo-fixture.js';

const ci = generateSigningKey().key;
const approver = generateSigningKey().key;
const trust = simpleRoot([ci], { targets: { keys: [ci, approver], threshold: 2 } });
const at = new Date('2026-03-01T12:00:00Z');

/** Builds and returns the artifacts, failing the test on problems. */
async function build(over: Partial<RepositoryInput> = {}): Promise<Artifact[]> {
  const r = await buildRepository({ bundles: [{ group: 'g1', document: bundleDoc('g1') }], provenance: provenance(at), roots: [trust], keys: [ci], ...over });
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  return r.artifacts;
}

/** The previous-state view of a set of artifacts. */
function stateOf(artifacts: Artifact[]): RepositoryState {
  const get = (p: string) => artifacts.find((a) => a.path === p)?.bytes;
  return { roots: new Map([[1, get('1.root.json') as Uint8Array]]), timestamp: get('timestamp.json'), snapshot: get('snapshot.json'), targets: get('targets.json') };
}

const version = (a: Artifact[], p: string) => (parseJsonBytes(a.find((x) => x.path === p)?.bytes as Uint8Array) as { signed: { version: number; expires: string } }).signed;

describe('repository builder', () => {
  it('derives expiry from the commit time and reports the missing approver signature', async () => {
    const r = await buildRepository({ bundles: [{ group: 'g1', document: bundleDoc('g1') }], provenance: provenance(at), roots: [trust], keys: [ci] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.pending).toEqual([{ role: 'targets', file: 'targets.json', have: 1, need: 2 }]);
    expect(version(r.artifacts, 'timestamp.json').expires).toBe('2026-03-08T12:00:00Z');
    expect(version(r.artifacts, 'targets.json').expires).toBe('2026-05-30T12:00:00Z');
  });

  it('keeps versions and co-signatures when nothing changed, and bumps them when content changes', async () => {
    const first = await build();
    const cosigned = signRepository(stateOf(first), [approver]);
    expect(cosigned.ok && cosigned.pending).toEqual([]);
    if (!cosigned.ok) return;
    const merged = first.map((a) => cosigned.artifacts.find((c) => c.path === a.path) ?? a);
    const again = await build({ previous: stateOf(merged) });
    expect(again).toEqual(merged);
    const changed = await build({ previous: stateOf(merged), bundles: [{ group: 'g1', document: bundleDoc('g1', ['r1']) }] });
    expect(version(changed, 'targets.json').version).toBe(2);
    expect(version(changed, 'snapshot.json').version).toBe(2);
    expect(version(changed, 'timestamp.json').version).toBe(2);
  });

  it('refuses unsafe, duplicate and mismatched groups, listing every problem', async () => {
    const r = await buildRepository({
      bundles: [{ group: '../x', document: bundleDoc('../x') }, { group: 'g1', document: bundleDoc('g1') }, { group: 'g1', document: bundleDoc('g2') }],
      provenance: provenance(at), roots: [trust], keys: [ci],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.slug)).toEqual(expect.arrayContaining(['unsafe-name', 'duplicate-group', 'bad-bundle']));
  });

  it('refreshes the timestamp from the given time only when asked', async () => {
    const first = await build();
    const refreshed = signRepository(stateOf(first), [ci], { refreshAt: new Date('2026-04-01T00:00:00Z') });
    expect(refreshed.ok).toBe(true);
    if (!refreshed.ok) return;
    const ts = parseTimestamp(refreshed.artifacts.find((a) => a.path === 'timestamp.json')?.bytes as Uint8Array);
    expect(ts.signed.version).toBe(2);
    expect(ts.signed.expires).toBe('2026-04-08T00:00:00Z');
    const withoutKey = signRepository(stateOf(first), [approver], { refreshAt: new Date() });
    expect(withoutKey.ok).toBe(false);
  });
});
