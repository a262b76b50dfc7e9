import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpFetcher, updateBundle } from '../../../runtime/pull.js';
import { bundleDocument, fixture, reconRules, type Fixture } from './fixture.js';
import type { Rule } from '../../../runtime/engine/ir.js';

/** Pulling a bundle's rule packs over real HTTP: only the packs the agent lacks are downloaded. */

let f: Fixture;
let server: Server;
let base: string;
const requested: string[] = [];

beforeAll(async () => {
  f = await fixture('vigil-pull-packs-');
  server = createServer((req, res) => {
    requested.push(req.url ?? '');
    readFile(path.join(f.out, decodeURIComponent(req.url ?? '/'))).then(
      (bytes) => res.end(bytes),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(f.dir, { recursive: true, force: true });
});

/** 200 distinct rules (several packs): the recon rules under other ids, one of them changed by `level`. */
function manyRules(level: string): Rule[] {
  const [first] = reconRules();
  return Array.from({ length: 200 }, (_, i) => ({ ...(first as Rule), id: `rule-${String(i).padStart(3, '0')}`, ...(i === 42 ? { level } : {}) }) as Rule);
}

describe('updateBundle and rule packs', () => {
  it('downloads every pack first, then only the pack that changed', async () => {
    const metadataDir = await mkdtemp(path.join(tmpdir(), 'vigil-pull-packs-meta-'));
    const held = new Map<string, Uint8Array>();
    const pull = async () => {
      requested.length = 0;
      const outcome = await updateBundle({ fetcher: new HttpFetcher({ base }), trust: f.trust, metadataDir, group: 'g1', havePack: (sha) => held.get(sha) });
      if (outcome.kind !== 'verified') throw new Error(JSON.stringify(outcome));
      for (const [sha, bytes] of outcome.bundle.packs) held.set(sha, bytes);
      return { downloaded: [...outcome.bundle.packs.keys()], packRequests: requested.filter((u) => u.startsWith('/targets/packs/')) };
    };
    await f.publish([{ group: 'g1', document: bundleDocument('g1', { rules: manyRules('low'), selfTest: [] }) }]);
    const first = await pull();
    expect(first.downloaded.length).toBeGreaterThan(2);
    expect(first.packRequests).toHaveLength(first.downloaded.length);
    await f.publish([{ group: 'g1', document: bundleDocument('g1', { rules: manyRules('high'), selfTest: [] }) }]);
    const second = await pull();
    expect(second.downloaded).toHaveLength(1);
    expect(second.packRequests).toEqual([`/targets/packs/${second.downloaded[0]}`]);
    expect(first.downloaded).not.toContain(second.downloaded[0]);
    await rm(metadataDir, { recursive: true, force: true });
  });

  it('counts the packs in maxBundleBytes: a small bundle pinning large packs is refused before they are downloaded (VR1010)', async () => {
    const metadataDir = await mkdtemp(path.join(tmpdir(), 'vigil-pull-packs-cap-'));
    await f.publish([{ group: 'g1', document: bundleDocument('g1', { rules: manyRules('low'), selfTest: [] }) }]);
    const targets = JSON.parse(await readFile(path.join(f.out, 'targets.json'), 'utf8')) as { signed: { targets: Record<string, { length: number }> } };
    const bundleLength = targets.signed.targets['groups/g1/bundle.json']!.length;
    requested.length = 0;
    const outcome = await updateBundle({ fetcher: new HttpFetcher({ base }), trust: f.trust, metadataDir, group: 'g1', maxBundleBytes: bundleLength + 100 });
    expect(outcome).toMatchObject({ kind: 'refused', refusals: [{ code: 'VR1010', file: 'targets/groups/g1/bundle.json' }] });
    expect(requested.filter((u) => u.startsWith('/targets/packs/'))).toEqual([]);
    await rm(metadataDir, { recursive: true, force: true });
  });
});
