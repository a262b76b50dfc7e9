import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../../runtime/server/fleet.js';
import { ReleaseStore } from '../../../runtime/server/releases.js';
import type { AgentStatus } from '../../../runtime/status.js';
import { bundleDocument, fixture, type Fixture } from './fixture.js';

/** The server's fleet view with the Rollout that `vigil compile` puts in each bundle. */

let f: Fixture;
const rollout = { name: 'staged', spec: { rings: [{ name: 'canary', hosts: ['ams-ws-001'], soak: '1s' }, { name: 'broad', percentage: 100 }] } };
const withRollout = (marker: string) => {
  const doc = bundleDocument('g1', { marker }) as { content: Record<string, unknown> };
  return { ...doc, content: { ...doc.content, rollout } };
};
const report = (host: string, digest: string, now: number): AgentStatus => ({
  host, group: 'g1', state: 'running', selfTest: 'passed', errors: [], errorBurst: false, pollIntervalMs: 1000, agentVersion: '0.1.0',
  reportedAt: new Date(now).toISOString(), bundle: { version: 1, digest, activatedAt: new Date(now).toISOString() },
});

beforeAll(async () => {
  f = await fixture('vigil-fleet-');
});
afterAll(() => rm(f.dir, { recursive: true, force: true }));

describe('Fleet', () => {
  it('stages groups by the Rollout compiled into their bundle, and flags drift', async () => {
    await f.publish([{ group: 'g1', document: withRollout('a') }, { group: 'g2', document: bundleDocument('g2') }]);
    const store = new ReleaseStore(f.out);
    const fleet = new Fleet(store, undefined);
    await store.refresh(0);
    fleet.tick(0);
    expect(fleet.ringName('g1', 'AMS-WS-001')).toBe('canary');
    expect(fleet.ringName('g1', 'ams-ws-002')).toBe('broad');
    expect(fleet.ringName('g2', 'ams-ws-001')).toBeUndefined();
    const d1 = store.latest()?.bundles.get('g1')?.digest as string;

    await f.publish([{ group: 'g1', document: withRollout('b') }, { group: 'g2', document: bundleDocument('g2') }]);
    await store.refresh(10);
    fleet.tick(10);
    const d2 = store.latest()?.bundles.get('g1')?.digest as string;
    expect(fleet.releaseFor('g1', 'ams-ws-001')?.bundles.get('g1')?.digest).toBe(d2);
    expect(fleet.releaseFor('g1', 'ams-ws-002')?.bundles.get('g1')?.digest).toBe(d1);
    fleet.report(report('ams-ws-001', d2, 20), 20);
    fleet.report(report('ams-ws-002', d2, 20), 20);
    const snap = fleet.snapshot(20) as { hosts: { host: string; drift: boolean }[]; groups: Record<string, { rollout?: string }> };
    expect(snap.hosts.map((h) => [h.host, h.drift])).toEqual([['ams-ws-001', false], ['ams-ws-002', true]]);
    expect(snap.groups.g1?.rollout).toBe('staged');
    // After the canary's soak, the broad ring is approved for d2.
    fleet.tick(1100);
    expect(fleet.releaseFor('g1', 'ams-ws-002')?.bundles.get('g1')?.digest).toBe(d2);
  });

  it('keeps at most its bound of hosts, dropping the one heard from longest ago', async () => {
    await f.publish([{ group: 'g1', document: bundleDocument('g1') }]);
    const store = new ReleaseStore(f.out);
    await store.refresh(0);
    const fleet = new Fleet(store, undefined, 3);
    const hosts = () => (fleet.snapshot(100) as { hosts: { host: string }[] }).hosts.map((h) => h.host);
    for (const [i, host] of ['a', 'b', 'c'].entries()) fleet.report(report(host, 'x', i), i);
    // `a` reports again, so `b` is now the one heard from longest ago.
    fleet.report(report('a', 'x', 10), 10);
    fleet.report(report('made-up', 'x', 11), 11);
    expect(hosts()).toEqual(['a', 'c', 'made-up']);
    // And at most its bound of bytes: a large report drops as many of the oldest as it needs.
    const small = new Fleet(store, undefined, 100, 4 * JSON.stringify(report('a', 'x', 0)).length);
    const bySize = () => (small.snapshot(100) as { hosts: { host: string }[] }).hosts.map((h) => h.host);
    for (const [i, host] of ['a', 'b', 'c'].entries()) small.report(report(host, 'x', i), i);
    small.report({ ...report('d', 'x', 5), errors: [{ code: 'VA2999', message: 'y'.repeat(20), at: new Date(5).toISOString() }] }, 5);
    expect(bySize()).toEqual(['b', 'c', 'd']);
  });
});
