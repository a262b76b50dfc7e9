import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServe, VigilProcess } from '../helpers/agent-process.js';
import { bundleDocument, fixture, processEvent } from '../unit/agent/fixture.js';

/** The collector side of "filter on collector": `vigil serve --state` keeps the global anomaly baseline. */

const running: VigilProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const report = (host: string) => ({ policy: 'new-parent-child', relationship: 'parent-child', key: { ParentImage: 'C:\\Windows\\explorer.exe', Image: 'C:\\Tools\\x.exe' }, host, time: 1_700_000_000_000 });

async function seen(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}anomaly/seen`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: await res.json() };
}

describe('vigil serve --state: the global anomaly baseline', () => {
  it('answers new for the first host only, keeps the baseline across restarts and exports it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-collector-'));
    dirs.push(dir);
    const out = path.join(dir, 'out');
    const state = path.join(dir, 'collector');
    const first = await startServe(out, ['--state', state]);
    running.push(first.proc);
    expect(await seen(first.url, report('WS1'))).toEqual({ status: 200, json: { new: true } });
    expect(await seen(first.url, report('WS2'))).toEqual({ status: 200, json: { new: false } });
    // A retried report from the first host gets the same answer (at-least-once delivery).
    expect(await seen(first.url, report('WS1'))).toEqual({ status: 200, json: { new: true } });
    expect((await seen(first.url, { policy: 'x' })).status).toBe(400);
    await first.proc.stop();

    const second = await startServe(out, ['--state', state]);
    running.push(second.proc);
    expect(await seen(second.url, report('WS3'))).toEqual({ status: 200, json: { new: false } });
    const exported = (await (await fetch(`${second.url}anomaly/baseline`)).json()) as { relationships: Record<string, unknown[]> };
    expect(JSON.stringify(exported)).toContain('x.exe');
    await second.proc.stop();

    const cli = await runCli(['baseline', 'export', '--state', state]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('explorer.exe');
  });
});

describe('filter on collector with real agents', () => {
  it('a parent/child pair first seen on one host does not alert again on another host', async () => {
    const f = await fixture('vigil-collector-agents-');
    dirs.push(f.dir);
    const anomaly = {
      type: 'anomaly', id: 'new-parent-child', relationship: 'parent-child', key: ['host', 'ParentImage', 'Image'], eventIds: [1],
      learningMs: 0, suppressOnCollector: true, level: 'medium',
    };
    const doc = bundleDocument('g1') as { content: Record<string, unknown> };
    doc.content.policies = { filters: [], threatScores: [], chains: [], anomalies: [anomaly] };
    await f.publish([{ group: 'g1', document: doc }]);
    const { proc: server, url } = await startServe(f.out, ['--state', path.join(f.dir, 'collector')]);
    running.push(server);
    const event = (host: string, time: string) => JSON.stringify({ ...processEvent('tool.exe', host), ParentImage: 'C:\\Windows\\explorer.exe', '@timestamp': time });
    const start = (host: string) => {
      const p = new VigilProcess(['agent', '--server', url, '--trust', f.trustFile, '--state', path.join(f.dir, `state-${host}`), '--group', 'g1', '--host', host, '--interval', '300ms', '--timeout', '2s', '--events', '-']);
      running.push(p);
      return p;
    };
    const first = start('h1');
    await first.waitFor(/activated bundle/);
    first.write(event('WS1', '2026-01-01T00:00:00Z'));
    await first.waitFor(/"anomaly"/, 10_000, 'stdout');
    const second = start('h2');
    await second.waitFor(/activated bundle/);
    second.write(event('WS2', '2026-01-01T00:01:00Z'));
    // A marker event after it: once its detection is printed, the anomaly had its chance.
    second.write(JSON.stringify({ ...processEvent('whoami.exe', 'WS2'), '@timestamp': '2026-01-01T00:02:00Z' }));
    await second.waitFor(/37616311/, 10_000, 'stdout');
    await new Promise((r) => setTimeout(r, 500));
    expect(second.count(/"anomaly"/)).toBe(0);
    expect(first.count(/"anomaly"/)).toBe(1);
    const exported = (await (await fetch(`${url}anomaly/baseline`)).json()) as object;
    expect(JSON.stringify(exported)).toContain('tool.exe');
  });
});
