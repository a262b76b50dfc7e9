import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServe, type VigilProcess } from '../helpers/agent-process.js';

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
