/**
 * The HTTP(S) server behind `vigil serve`: the repository (each agent gets the release its
 * rollout ring is approved for, told apart by its `X-Vigil-Group`/`X-Vigil-Host` headers), strong
 * ETags with If-None-Match, `POST /status` for agent reports and `GET /status` for the fleet.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { handleBaselineRequest, type GlobalBaseline } from '../collector/baseline.js';
import type { RolloutPlan } from '../rollout.js';
import { MAX_STATUS_BYTES, parseStatus } from '../status.js';
import { Fleet } from './fleet.js';
import { ReleaseStore } from './releases.js';

/** What to serve and how. */
export interface ServeOptions {
  readonly out: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Listen address; 127.0.0.1 unless told otherwise. */
  readonly host?: string;
  /** PEM certificate and key: HTTPS instead of HTTP. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  readonly rollout?: RolloutPlan;
  /** How often OUT is checked for a new publish and rollouts advance. */
  readonly tickMs?: number;
  readonly now?: () => number;
  /** The collector's global anomaly baseline (`/anomaly/seen`, `/anomaly/baseline`); absent: 404 there. */
  readonly baseline?: GlobalBaseline;
  /** One line per notable event (a new release, a promotion). */
  readonly log?: (line: string) => void;
}

/** A running server. */
export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly fleet: Fleet;
  /** Re-reads OUT and advances rollouts now (the timer does it every tickMs). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

const header = (req: http.IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v) ? v : undefined;
};

/** True when If-None-Match names the ETag (or `*`). */
function notModified(req: http.IncomingMessage, etag: string): boolean {
  const inm = req.headers['if-none-match'];
  if (typeof inm !== 'string') return false;
  return inm.split(',').map((t) => t.trim().replace(/^W\//, '')).some((t) => t === etag || t === '*');
}

function send(res: http.ServerResponse, status: number, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  res.writeHead(status, { 'content-length': String(bytes.length), 'cache-control': 'no-cache', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}

const json = (res: http.ServerResponse, status: number, value: unknown) => send(res, status, JSON.stringify(value, null, 2) + '\n', { 'content-type': 'application/json' });

/** Reads a request body up to `max` bytes; undefined when it is larger. */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

/** Starts serving; resolves once listening. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const now = opts.now ?? Date.now;
  const releases = new ReleaseStore(opts.out);
  const fleet = new Fleet(releases, opts.rollout);
  const log = opts.log ?? (() => undefined);

  const tick = async () => {
    const fresh = await releases.refresh(now());
    if (fresh) log(`serve: release ${fresh.id} (timestamp v${fresh.timestampVersion}, targets v${fresh.targetsVersion}, ${fresh.bundles.size} group(s))`);
    fleet.tick(now());
  };
  await tick();

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname).replace(/^\/+/, '');
    } catch {
      // `/%`, a cut-off UTF-8 escape, `//[`: not a path at all.
      return json(res, 400, { error: 'malformed request path' });
    }
    const group = header(req, 'x-vigil-group');
    const host = header(req, 'x-vigil-host');
    const ring = fleet.ringName(group, host);
    const ringHeader: Record<string, string> = ring ? { 'x-vigil-ring': ring } : {};
    if (rel.startsWith('anomaly/') && opts.baseline && (await handleBaselineRequest(req, res, opts.baseline))) return;
    if (rel === 'status') {
      if (req.method === 'GET' || req.method === 'HEAD') return json(res, 200, fleet.snapshot(now()));
      if (req.method !== 'POST') return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD, POST' });
      const body = await readBody(req, MAX_STATUS_BYTES);
      if (!body) return json(res, 413, { error: `a status report is at most ${MAX_STATUS_BYTES} bytes` });
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return json(res, 400, { error: 'the status report is not JSON' });
      }
      const status = parseStatus(parsed);
      if (typeof status === 'string') return json(res, 400, { error: status });
      fleet.report(status, now());
      fleet.tick(now());
      const assigned = fleet.ringName(status.group, status.host);
      res.writeHead(204, assigned ? { 'x-vigil-ring': assigned } : {});
      return res.end();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    const release = fleet.releaseFor(group, host);
    const file = release?.files.get(rel);
    if (!file) return send(res, 404, 'not found\n', ringHeader);
    const headers = { etag: file.etag, 'content-type': 'application/json', ...ringHeader };
    if (notModified(req, file.etag)) {
      res.writeHead(304, { etag: file.etag, 'cache-control': 'no-cache', ...ringHeader });
      return res.end();
    }
    return send(res, 200, file.bytes, headers);
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  };
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, listener) : http.createServer(listener);
  // Slow clients cannot hold connections open for ever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const timer = setInterval(() => void tick().catch(() => undefined), opts.tickMs ?? 1000);
  timer.unref();
  return {
    url: `${opts.tls ? 'https' : 'http'}://${opts.host ?? '127.0.0.1'}:${port}/`,
    port,
    fleet,
    tick,
    close: () => new Promise<void>((resolve) => {
      clearInterval(timer);
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
