import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareBundle, StateDir, type Prepared } from '../../../runtime/activate.js';
import { canonicalBytes } from '../../../runtime/bundle/canonical.js';
import { packBundle } from '../../../runtime/bundle/pack-rules.js';
import { bundleDocument, reconRules } from './fixture.js';

/** The agent's side of rule packs: stored by digest, re-hashed when read, resolved before use, pruned with their bundles. */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-packs-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A packed recon bundle for `group`, its bytes and packs by digest. */
function packed(group: string) {
  const p = packBundle(bundleDocument(group));
  return { bytes: canonicalBytes(p.document), packs: new Map(p.packs.map((x) => [x.ref.sha256, x.bytes])) };
}

describe('rule packs on the agent', () => {
  it('activates a packed bundle from stored packs, with every rule back', async () => {
    const state = new StateDir(path.join(dir, 'a'));
    state.init();
    const { bytes, packs } = packed('g1');
    state.packs.write(packs);
    const r = await prepareBundle(bytes, 1, undefined, undefined, undefined, (sha) => state.packs.read(sha));
    expect('code' in r).toBe(false);
    expect((r as Prepared).ruleCount).toBe(reconRules().length);
    expect((r as Prepared).document.content.rulePacks).toBeUndefined();
  });

  it('refuses a bundle whose pack is missing or damaged on disk (VA2001), never half-loading it', async () => {
    const state = new StateDir(path.join(dir, 'b'));
    state.init();
    const { bytes, packs } = packed('g1');
    const missing = await prepareBundle(bytes, 1, undefined, undefined, undefined, (sha) => state.packs.read(sha));
    expect(missing).toMatchObject({ code: 'VA2001', message: expect.stringMatching(/is missing/) });
    state.packs.write(packs);
    const [sha] = [...packs.keys()];
    await writeFile(path.join(dir, 'b', 'packs', `${sha}.json`), '{"irVersion":1,"rules":[]}');
    expect(state.packs.read(sha as string)).toBeUndefined();
    const damaged = await prepareBundle(bytes, 1, undefined, undefined, undefined, (s) => state.packs.read(s));
    expect(damaged).toMatchObject({ code: 'VA2001' });
  });

  it('keeps the packs of the current and last-known-good bundles and prunes the rest', async () => {
    const state = new StateDir(path.join(dir, 'c'));
    state.init();
    const lookup = (sha: string) => state.packs.read(sha);
    const activate = async (group: string) => {
      const { bytes, packs } = packed(group);
      state.packs.write(packs);
      const p = await prepareBundle(bytes, 1, undefined, undefined, undefined, lookup);
      if ('code' in p) throw new Error(p.message);
      state.activate(p, bytes, new Date(0));
      return [...packs.keys()];
    };
    // Rule packs hold rules only, so groups with the same rules share them: vary the rules.
    const one = await activate('g1');
    const other = packBundle(bundleDocument('g2', { rules: reconRules().slice(0, 1), selfTest: [] }));
    const twoBytes = canonicalBytes(other.document);
    state.packs.write(new Map(other.packs.map((x) => [x.ref.sha256, x.bytes])));
    const p2 = await prepareBundle(twoBytes, 2, undefined, undefined, undefined, lookup);
    if ('code' in p2) throw new Error(p2.message);
    state.activate(p2, twoBytes, new Date(1));
    const three = packBundle(bundleDocument('g3', { rules: reconRules().slice(1), selfTest: [] }));
    const threeBytes = canonicalBytes(three.document);
    state.packs.write(new Map(three.packs.map((x) => [x.ref.sha256, x.bytes])));
    const p3 = await prepareBundle(threeBytes, 3, undefined, undefined, undefined, lookup);
    if ('code' in p3) throw new Error(p3.message);
    state.activate(p3, threeBytes, new Date(2));
    const stored = (await readdir(path.join(dir, 'c', 'packs'))).sort();
    const kept = [...other.packs, ...three.packs].map((x) => `${x.ref.sha256}.json`);
    expect(stored).toEqual([...new Set(kept)].sort());
    for (const sha of one) if (!kept.includes(`${sha}.json`)) expect(stored).not.toContain(`${sha}.json`);
  });
});
