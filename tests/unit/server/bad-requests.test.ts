import { rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GlobalBaseline } from '../../../runtime/collector/baseline.js';
import { startServer, type RunningServer } from '../../../runtime/server/server.js';
import { bundleDocument, fixture, type Fixture } from '../agent/fixture.js';

/** `vigil serve` facing what a network can send: malformed paths, links planted in OUT, collector reports with impossible times. */

let f: Fixture;
let server: RunningServer;
let secret: string;

/** One raw request (the path is sent as written, not normalised by a URL parser). */
function raw(method: string, target: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path: target, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  f = await fixture('vigil-serve-bad-');
  await f.publish([{ group: 'g1', document: bundleDocument('g1') }]);
  // A link someone planted in OUT, to a file outside it.
  secret = path.join(f.dir, 'secret.json');
  await writeFile(secret, '{"password":"hunter2"}');
  await symlink(secret, path.join(f.out, 'planted.json'));
  server = await startServer({ out: f.out, port: 0, tickMs: 60_000, baseline: new GlobalBaseline() });
});
afterAll(async () => {
  await server.close();
  await rm(f.dir, { recursive: true, force: true });
});

describe('vigil serve, bad requests', () => {
  it('answers a malformed path with 400, not an internal error', async () => {
    for (const target of ['/%', '/%E0%A4%A', '/status%', '//[']) expect((await raw('GET', target)).status, target).toBe(400);
    expect((await raw('GET', '/timestamp.json')).status).toBe(200);
  });

  it('never serves a file through a symlink in OUT', async () => {
    const got = await raw('GET', '/planted.json');
    expect(got.status).toBe(404);
    expect(got.body).not.toContain('hunter2');
  });

  it('refuses a collector report whose time no date can hold, so the baseline export keeps working', async () => {
    const report = (time: number) => JSON.stringify({ policy: 'p', relationship: 'first-seen', key: { user: 'a' }, host: 'h', time });
    expect((await raw('POST', '/anomaly/seen', report(1e300))).status).toBe(400);
    expect((await raw('POST', '/anomaly/seen', report(Date.UTC(2026, 0, 1)))).status).toBe(200);
    expect((await raw('GET', '/anomaly/baseline')).status).toBe(200);
  });
});
