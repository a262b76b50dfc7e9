import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadHTTPError, DownloadLengthMismatchError } from 'tuf-js/dist/error.js';
import { httpRequest } from '../../../runtime/http-request.js';
import { backoffDelay, HttpFetcher, TransportFailure } from '../../../runtime/pull.js';

/** The agent's transport against a real local server that misbehaves on purpose. */

let server: http.Server;
let base: string;
let other: http.Server;
let otherBase: string;

beforeAll(async () => {
  other = http.createServer((_q, r) => r.end('elsewhere'));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
  otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
  server = http.createServer((req, res) => {
    const route = req.url ?? '/';
    if (route === '/ok') return res.end('hello');
    if (route === '/announced-big') {
      res.writeHead(200, { 'content-length': String(10 << 20) });
      return res.write('x');
    }
    if (route === '/endless') {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pump);
      return pump();
    }
    if (route === '/stall') return undefined;
    if (route === '/trickle') {
      res.writeHead(200);
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('.')), 50);
      return undefined;
    }
    if (route === '/redirect-same') {
      res.writeHead(302, { location: '/ok' });
      return res.end();
    }
    if (route === '/redirect-away') {
      res.writeHead(302, { location: `${otherBase}ok` });
      return res.end();
    }
    if (route === '/etag') {
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { etag: '"v1"' });
        return res.end();
      }
      res.writeHead(200, { etag: '"v1"' });
      return res.end('body');
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
  other.close();
});

describe('httpRequest', () => {
  it('returns the body of a normal answer', async () => {
    const r = await httpRequest(`${base}ok`);
    expect(r.ok && Buffer.from(r.bytes).toString()).toBe('hello');
  });
  it('refuses a body announced larger than the cap without reading it', async () => {
    const r = await httpRequest(`${base}announced-big`, { limits: { maxBytes: 1024 } });
    expect(r.ok ? 'ok' : r.error.kind).toBe('too-large');
  });
  it('stops an endless body at the cap', async () => {
    const r = await httpRequest(`${base}endless`, { limits: { maxBytes: 100_000 } });
    expect(r.ok ? 'ok' : r.error.kind).toBe('too-large');
  });
  it('gives up on a server that goes silent', async () => {
    const t0 = Date.now();
    const r = await httpRequest(`${base}stall`, { limits: { stallMs: 200, timeoutMs: 5000 } });
    expect(r.ok ? 'ok' : r.error.kind).toBe('stalled');
    expect(Date.now() - t0).toBeLessThan(2000);
  });
  it('enforces a total deadline on a server that trickles', async () => {
    const r = await httpRequest(`${base}trickle`, { limits: { stallMs: 1000, timeoutMs: 400 } });
    expect(r.ok ? 'ok' : r.error.kind).toBe('timeout');
  });
  it('follows redirects on the same origin only', async () => {
    const same = await httpRequest(`${base}redirect-same`);
    expect(same.ok && Buffer.from(same.bytes).toString()).toBe('hello');
    const away = await httpRequest(`${base}redirect-away`);
    expect(away.ok ? 'ok' : away.error.kind).toBe('redirect');
  });
  it('passes 304 through for If-None-Match', async () => {
    const r = await httpRequest(`${base}etag`, { headers: { 'if-none-match': '"v1"' } });
    expect(r.ok && r.status).toBe(304);
  });
  it('reports an unreachable server and a bad URL as values', async () => {
    const down = await httpRequest('http://127.0.0.1:9/x', { limits: { timeoutMs: 2000 } });
    expect(down.ok ? 'ok' : down.error.kind).toBe('network');
    const bad = await httpRequest('file:///etc/passwd');
    expect(bad.ok ? 'ok' : bad.error.kind).toBe('bad-url');
  });
});

describe('HttpFetcher (tuf-js)', () => {
  it('maps oversize to DownloadLengthMismatchError and 404 to DownloadHTTPError, without a transport failure', async () => {
    const f = new HttpFetcher({ base });
    await expect(f.downloadBytes(`${base}endless`, 1000)).rejects.toBeInstanceOf(DownloadLengthMismatchError);
    await expect(f.downloadBytes(`${base}missing`, 1000)).rejects.toBeInstanceOf(DownloadHTTPError);
    expect(f.lastTransportFailure).toBeUndefined();
    expect(Buffer.from(await f.downloadBytes(`${base}ok`, 1000)).toString()).toBe('hello');
    expect(f.served.get('ok')).toBeDefined();
  });
  it('records a transport failure so the agent can tell unreachable from refused', async () => {
    const f = new HttpFetcher({ base: 'http://127.0.0.1:9/', limits: { timeoutMs: 2000 } });
    await expect(f.downloadBytes('http://127.0.0.1:9/timestamp.json', 1000)).rejects.toBeInstanceOf(TransportFailure);
    expect(f.lastTransportFailure?.kind).toBe('network');
  });
  it('never fetches outside its base URL', async () => {
    const f = new HttpFetcher({ base: `${base}repo/` });
    await expect(f.downloadBytes(`${otherBase}ok`, 1000)).rejects.toBeInstanceOf(DownloadHTTPError);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially with jitter, within bounds', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(0, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffDelay(30, 1000, 60_000, () => 1)).toBe(60_000);
    expect(backoffDelay(30, 1000, 60_000, () => 0)).toBe(30_000);
  });
});
