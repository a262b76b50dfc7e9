import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Action } from '../../../schema/generated/action.js';
import { startActions } from '../../../runtime/actions/action-runner.js';
import type { Problem } from '../../../runtime/sources/problems.js';
import { openStore } from '../../../runtime/state/store.js';
import { json, localServer, tempDir } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const action = (name: string, spec: Action['spec']): Action => ({ apiVersion: 'vigil/v1', kind: 'Action', metadata: { name }, spec });

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

describe('startActions', () => {
  it('routes alerts by minLevel, delivers them in the background, and retries a webhook that was down', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const store = openStore(path.join(t.dir, 'state'));
    cleanups.push(() => store.close());
    let up = false;
    const hook = await localServer((_req, res) => json(res, up ? 200 : 503, {}));
    cleanups.push(hook.close);
    const out = new PassThrough();
    let stdout = '';
    out.on('data', (d: Buffer) => (stdout += d.toString()));
    const problems: Problem[] = [];
    const file = path.join(t.dir, 'alerts.jsonl');
    const runner = startActions(
      [
        action('print', { type: 'alert' }),
        action('hook', { type: 'http', minLevel: 'high', http: { url: hook.url, retries: 0 } }),
        action('keep', { type: 'file', file: { path: file } }),
        action('broken', { type: 'process', process: { command: 'relative/edr' } }),
      ],
      { credentials: new Map(), stdout: out },
      store,
      { backoff: { baseMs: 20, maxMs: 50 }, report: (p) => void problems.push(p) },
    );
    cleanups.push(() => runner.close());
    expect(problems.map((p) => [p.code, p.origin])).toEqual([['VS2003', 'broken']]);
    expect(runner.dispatch({ rule: 'low-rule', level: 'low' })).toEqual(['print', 'keep']);
    expect(runner.dispatch({ rule: 'high-rule', level: 'high' })).toEqual(['print', 'hook', 'keep']);
    await until(() => problems.some((p) => p.code === 'VS2001') && runner.outbox.size() === 1);
    // Only the webhook's alert is left while the endpoint is down.
    expect(runner.outbox.size()).toBe(1);
    expect(store.db.prepare('SELECT action FROM outbox').pluck().all()).toEqual(['hook']);
    up = true;
    await until(() => runner.outbox.size() === 0);
    expect(runner.outbox.size()).toBe(0);
    expect(stdout.trim().split('\n').map((l) => JSON.parse(l).rule)).toEqual(['low-rule', 'high-rule']);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(hook.seen.filter((s) => JSON.parse(s.body).rule === 'high-rule').length).toBeGreaterThanOrEqual(2);
  });
});
