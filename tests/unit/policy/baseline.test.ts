import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GlobalBaseline, handleBaselineRequest, parseSeenReport } from '../../../runtime/collector/baseline.js';
import { SqliteBaselinePersistence } from '../../../runtime/collector/baseline-sqlite.js';
import { openStore } from '../../../runtime/state/store.js';

const pc = (parent: string, child: string) => ({ ParentImage: parent, Image: child });

describe('collector baseline', () => {
  test('a tuple is new only for the first host that reports it, also when that host retries', () => {
    const b = new GlobalBaseline();
    expect(b.observe('p', 'parent-child', pc('cmd.exe', 'calc.exe'), 'A', 1)).toBe(true);
    expect(b.observe('p', 'parent-child', pc('cmd.exe', 'calc.exe'), 'B', 2)).toBe(false);
    expect(b.observe('p', 'parent-child', pc('cmd.exe', 'calc.exe'), 'A', 3)).toBe(true);
    expect(b.observe('p', 'parent-child', pc('cmd.exe', 'calc.exe'), 'B', 4)).toBe(false);
    expect(b.observe('q', 'parent-child', pc('cmd.exe', 'calc.exe'), 'B', 4)).toBe(true);
  });

  test('holds at most its bound of tuples; a tuple beyond it is new for every host (its alert is kept)', () => {
    const b = new GlobalBaseline(undefined, 2);
    expect(b.observe('p', 'first-seen', { user: 'a' }, 'h1', 0)).toBe(true);
    expect(b.observe('p', 'first-seen', { user: 'b' }, 'h1', 0)).toBe(true);
    expect(b.observe('p', 'first-seen', { user: 'c' }, 'h1', 0)).toBe(true);
    expect(b.observe('p', 'first-seen', { user: 'c' }, 'h2', 0)).toBe(true);
    expect(b.observe('p', 'first-seen', { user: 'a' }, 'h2', 0)).toBe(false);
    expect(b.size).toBe(2);
  });

  test('the export lists each relationship edge once with its hosts, sorted', () => {
    const b = new GlobalBaseline();
    b.observe('p', 'parent-child', pc('explorer.exe', 'cmd.exe'), 'B', 5);
    b.observe('p', 'parent-child', pc('cmd.exe', 'calc.exe'), 'B', 2);
    b.observe('q', 'parent-child', pc('cmd.exe', 'calc.exe'), 'A', 1);
    b.observe('d', 'process-dll', { Image: 'a.exe', ImageLoaded: 'x.dll' }, 'A', 1);
    b.observe('u', 'user-pipe', { User: 'bob', PipeName: '\\p' }, 'A', 1);
    b.observe('u2', 'user-process', { User: 'bob', Image: 'a.exe' }, 'A', 1);
    b.observe('f', 'first-seen', { TargetUserName: 'bob' }, 'A', 1);
    const e = b.export();
    expect(e.relationships['parent-child']).toEqual([
      { parent: 'cmd.exe', child: 'calc.exe', hosts: ['A', 'B'], hostCount: 2, firstSeen: new Date(1).toISOString(), firstHost: 'A' },
      { parent: 'explorer.exe', child: 'cmd.exe', hosts: ['B'], hostCount: 1, firstSeen: new Date(5).toISOString(), firstHost: 'B' },
    ]);
    expect(e.relationships['process-dll']).toMatchObject([{ process: 'a.exe', dll: 'x.dll' }]);
    expect(e.relationships['user-pipe']).toMatchObject([{ user: 'bob', pipe: '\\p' }]);
    expect(e.relationships['user-process']).toMatchObject([{ user: 'bob', process: 'a.exe' }]);
    expect(e.firstSeen).toMatchObject([{ policy: 'f', values: { TargetUserName: 'bob' } }]);
  });

  test('persisted in SQLite, the baseline survives a restart', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-baseline-'));
    try {
      let store = openStore(dir);
      new GlobalBaseline(new SqliteBaselinePersistence(store.db)).observe('p', 'parent-child', pc('cmd.exe', 'calc.exe'), 'A', 1);
      store.close();
      store = openStore(dir);
      const b = new GlobalBaseline(new SqliteBaselinePersistence(store.db));
      expect(b.size).toBe(1);
      expect(b.observe('p', 'parent-child', pc('cmd.exe', 'calc.exe'), 'B', 2)).toBe(false);
      expect(b.export().relationships['parent-child'][0]!.hosts).toEqual(['A', 'B']);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('reports are validated', () => {
    expect(parseSeenReport({ policy: 'p', relationship: 'parent-child', key: { host: 'A', Image: 'x' }, host: 'A', time: 1 })).toEqual({ policy: 'p', relationship: 'parent-child', key: { Image: 'x' }, host: 'A', time: 1 });
    expect(parseSeenReport([])).toMatch(/object/);
    expect(parseSeenReport({ policy: 'p', relationship: 'r', key: {}, host: 'A', time: 1 })).toMatch(/key/);
    expect(parseSeenReport({ policy: 'p', relationship: 'r', key: { a: 1 }, host: 'A', time: 1 })).toMatch(/key/);
    expect(parseSeenReport({ policy: 'p', relationship: 'r', key: { a: 'x' }, host: '', time: 1 })).toMatch(/host/);
    expect(parseSeenReport({ policy: 'p', relationship: 'r', key: { a: 'x' }, host: 'A', time: 'now' })).toMatch(/time/);
  });

  describe('over HTTP on 127.0.0.1', () => {
    let server: Server;
    let base: string;
    const baseline = new GlobalBaseline();
    beforeAll(async () => {
      server = createServer((req, res) => {
        void handleBaselineRequest(req, res, baseline).then((handled) => {
          if (!handled) {
            res.writeHead(404);
            res.end();
          }
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    const seen = (host: string) => fetch(`${base}/anomaly/seen`, { method: 'POST', body: JSON.stringify({ policy: 'p', relationship: 'parent-child', key: { host, ParentImage: 'cmd.exe', Image: 'calc.exe' }, host, time: 1 }) });

    test('POST /anomaly/seen answers whether the tuple is new fleet-wide; GET /anomaly/baseline exports', async () => {
      expect(await (await seen('A')).json()).toEqual({ new: true });
      expect(await (await seen('B')).json()).toEqual({ new: false });
      expect(await (await seen('A')).json()).toEqual({ new: true });
      const res = await fetch(`${base}/anomaly/baseline`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { relationships: Record<string, unknown[]> }).relationships['parent-child']).toMatchObject([{ parent: 'cmd.exe', child: 'calc.exe', hosts: ['A', 'B'] }]);
    });

    test('bad requests get 400/405/413 and other paths are left to the caller', async () => {
      expect((await fetch(`${base}/anomaly/seen`, { method: 'POST', body: '{' })).status).toBe(400);
      expect((await fetch(`${base}/anomaly/seen`, { method: 'POST', body: '{"policy":1}' })).status).toBe(400);
      expect((await fetch(`${base}/anomaly/seen`)).status).toBe(405);
      expect((await fetch(`${base}/anomaly/baseline`, { method: 'POST', body: '' })).status).toBe(405);
      expect((await fetch(`${base}/anomaly/seen`, { method: 'POST', body: 'x'.repeat(70_000) })).status).toBe(413);
      expect((await fetch(`${base}/other`)).status).toBe(404);
    });
  });
});
