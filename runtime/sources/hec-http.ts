/**
 * The HTTP side of the receiver (Splunk HEC routes, see hec.ts): authentication, bounded and timed
 * body reading, validation by parsing, and the durable spool before the answer. It runs in the
 * receiver's worker thread (hec-worker.ts), so requests never wait for rule evaluation.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createGunzip } from 'node:zlib';
import { HEC, invalidFormat, type HecStatus } from './hec-body.js';
import type { HecConfig } from './hec.js';
import { parseRequest, routeKey, type Routing, type Served } from './hec-routing.js';
import type { HecSpool } from './hec-spool.js';
import { problem, type Problem, type ProblemSink } from './problems.js';

/** A listening receiver server. */
export interface HecHttp {
  readonly port: number;
  /** Stops accepting and resolves when requests in progress are answered. */
  close(): Promise<void>;
}

class BodyError extends Error {
  constructor(readonly status: HecStatus) {
    super(status.body.text);
  }
}

// Answers HEC has no number for carry the HTTP status as their code.
const TOO_LARGE: HecStatus = { status: 413, body: { text: 'Content too large', code: 413 } };
const TIMEOUT: HecStatus = { status: 408, body: { text: 'Request timeout', code: 408 } };
const BAD_ENCODING: HecStatus = { status: 415, body: { text: 'Unsupported content encoding', code: 415 } };
const NOT_FOUND: HecStatus = { status: 404, body: { text: 'The requested URL was not found on this server.', code: 404 } };
const METHOD: HecStatus = { status: 405, body: { text: 'Method not allowed', code: 405 } };

/** Reads a request body up to `limit` bytes (after gzip), within `timeoutMs`. */
function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') return reject(new BodyError(BAD_ENCODING));
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) return reject(new BodyError(TOO_LARGE));
    const stream = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: Error, text?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) {
        stream.removeAllListeners('data');
        if (stream !== req) (stream as ReturnType<typeof createGunzip>).destroy();
        reject(error);
      } else resolve(text!);
    };
    const timer = setTimeout(() => finish(new BodyError(TIMEOUT)), timeoutMs);
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Counted after decompression, so a gzip bomb stops at the limit instead of filling memory.
      if (size > limit) return finish(new BodyError(TOO_LARGE));
      chunks.push(chunk);
    });
    stream.on('end', () => finish(undefined, Buffer.concat(chunks, size).toString('utf8')));
    stream.on('error', () => finish(new BodyError(invalidFormat(0))));
    req.on('aborted', () => finish(new BodyError(TIMEOUT)));
  });
}

/** Compares a presented token with every accepted one in constant time (no early exit, fixed-length digests). */
function tokenChecker(tokens: readonly string[]): (presented: string) => boolean {
  const digests = tokens.map((t) => createHash('sha256').update(t).digest());
  return (presented) => {
    const d = createHash('sha256').update(presented).digest();
    let ok = false;
    for (const t of digests) ok = timingSafeEqual(d, t) || ok;
    return ok;
  };
}

/** Bodies of the fixed answers, serialised once (the success answer is sent for every request). */
const bodies = new WeakMap<HecStatus, string>();

function send(res: ServerResponse, status: HecStatus, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  let body = bodies.get(status);
  if (body === undefined) bodies.set(status, (body = JSON.stringify(status.body)));
  res.writeHead(status.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Starts the HTTP server; accepted requests go to `spool` before they are answered. */
export async function startHecHttp(config: HecConfig, routing: Routing, spool: HecSpool, report: ProblemSink): Promise<HecHttp> {
  const { served, defaultSource } = routing;
  const limit = config.maxBodyBytes ?? 1 << 20;
  const bodyTimeout = config.bodyTimeoutMs ?? 10_000;
  const maxInFlight = config.maxConcurrentRequests ?? 64;
  const retryAfter = String(config.retryAfterSeconds ?? 1);
  const checkToken = tokenChecker(config.tokens);

  let inFlight = 0;
  const busy = () => ({ 'Retry-After': retryAfter });

  const pick = (name: string | null | undefined): Served | undefined => (name ? served.get(name) : defaultSource);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // No URL object per request: most requests have no query string at all.
    const href = req.url ?? '/';
    const q = href.indexOf('?');
    const query = q < 0 ? undefined : new URLSearchParams(href.slice(q + 1));
    const parts = (q < 0 ? href : href.slice(0, q)).split('/').filter(Boolean);
    if (parts[0] !== 'services' || parts[1] !== 'collector') return send(res, NOT_FOUND);
    const rest = parts.slice(2).filter((p, i) => !(i === parts.length - 3 && p === '1.0'));
    const route = rest[0] ?? 'event';
    if (route === 'health') return send(res, spool.wouldOverflow(1) ? HEC.unhealthy : HEC.healthy);
    if (req.method !== 'POST') return send(res, METHOD, { Allow: 'POST' });
    const auth = req.headers.authorization;
    if (!auth) return send(res, HEC.tokenRequired);
    const m = /^Splunk\s+(\S+)\s*$/i.exec(auth);
    if (!m) return send(res, HEC.invalidAuthorization);
    if (!checkToken(m[1]!)) return send(res, HEC.invalidToken);

    let target: Served | undefined;
    let raw: boolean;
    if (route === 'event' || route === 'raw') {
      if (rest.length > 1) return send(res, NOT_FOUND);
      raw = route === 'raw';
      target = pick(query?.get('source'));
      if (!target) return send(res, HEC.incorrectIndex);
    } else {
      target = served.get(route);
      if (!target || rest.length > 1) return send(res, NOT_FOUND);
      raw = true;
    }
    if (spool.wouldOverflow(1) || inFlight >= maxInFlight) return send(res, HEC.busy, busy());

    inFlight++;
    let text: string;
    try {
      text = await readBody(req, limit, bodyTimeout);
    } catch (error) {
      const status = error instanceof BodyError ? error.status : HEC.internalError;
      report(problem('VS1010', 'http-receiver', { status: status.status, peer: req.socket.remoteAddress ?? '?', detail: status.body.text }));
      // The rest of the body is not read: close the connection rather than drain it.
      send(res, status, { Connection: 'close' });
      req.socket.destroySoon?.();
      return;
    } finally {
      inFlight--;
    }
    if (text.trim() === '') return send(res, HEC.noData);

    const explicit = query?.has('source') ?? false;
    const problems: Problem[] = [];
    const { groups, count, error } = parseRequest(routing, text, target, raw, explicit, problems);
    problems.forEach(report);
    if (raw && count === 0) return send(res, invalidFormat(0));
    // All or nothing per request under back-pressure: a sender retries the whole request on 503.
    if (spool.wouldOverflow(count)) return send(res, HEC.busy, busy());
    if (count > 0) {
      try {
        await spool.acceptBody(routeKey(target, raw, explicit), text, groups[0]!.source, count);
      } catch {
        return send(res, HEC.internalError);
      }
    }
    if (error) report(problem('VS1010', 'http-receiver', { status: error.status, peer: req.socket.remoteAddress ?? '?', detail: error.body.text }));
    send(res, error ?? HEC.success);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => send(res, HEC.internalError));
  };
  const server: Server = config.tls ? createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, listener) : createHttpServer(listener);
  // Slow-loris bounds: headers and whole requests must arrive in time.
  server.headersTimeout = Math.min(bodyTimeout, 60_000);
  server.requestTimeout = bodyTimeout + 1000;
  server.keepAliveTimeout = 5000;
  server.maxConnections = config.maxConnections ?? 1024;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.bind ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}
