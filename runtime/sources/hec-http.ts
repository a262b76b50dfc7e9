/**
 * The HTTP side of the receiver (Splunk HEC routes, see hec.ts): authentication, bounded and timed
 * body reading, validation, and the durable spool before the answer. It runs in the receiver's
 * worker thread (hec-worker.ts), so requests never wait for rule evaluation. Its cost per request
 * is what bench/hec-bench.ts measures, hence: event bodies are checked by a scanner that builds no
 * objects (hec-scan.ts; they are parsed once, where they are evaluated), a token that passed the
 * check is remembered for the rest of its connection, and the fixed answers are encoded once.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createGunzip } from 'node:zlib';
import type { Socket } from 'node:net';
import { HEC, invalidFormat, type HecStatus } from './hec-body.js';
import type { HecConfig } from './hec.js';
import { parseRequest, routeKey, type Routing, type Served } from './hec-routing.js';
import { scanEventBody } from './hec-scan.js';
import { problem, type Problem, type ProblemSink } from './problems.js';

/** Where accepted requests go: the durable spool (hec-worker.ts). */
export interface Intake {
  /** True when `n` more events would not fit in the queue. */
  wouldOverflow(n: number): boolean;
  /** Stores a request's events durably (`payload` is revived by `key`, its UTF-8 bytes); `done(res, answer)` is called once they are, or `done(res, answer, error)`. */
  store(key: Buffer, count: number, payload: Uint8Array, res: ServerResponse, answer: HecStatus, done: Stored): void;
}

/** Called once a request's events are stored (or failed to be): answers the request. */
export type Stored = (res: ServerResponse, answer: HecStatus, error?: Error) => void;

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

/** One body read's deadline. */
interface Deadline {
  readonly at: number;
  expire(): void;
}

/** Body-read deadlines, checked by one timer (a few times per timeout) instead of a timer per request. */
class Deadlines {
  private readonly live = new Set<Deadline>();
  private readonly timer: NodeJS.Timeout;

  constructor(readonly ms: number) {
    this.timer = setInterval(() => this.sweep(), Math.max(10, Math.min(1000, Math.floor(ms / 4))));
    this.timer.unref();
  }

  add(d: Deadline): void {
    this.live.add(d);
  }

  remove(d: Deadline): void {
    this.live.delete(d);
  }

  private sweep(): void {
    const now = Date.now();
    for (const d of this.live) if (d.at <= now) d.expire();
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** Where a stream's body read is kept: the listeners below are shared by every request, not closures per request. */
const READ = Symbol('body read');
type Reading = NodeJS.ReadableStream & { [READ]?: BodyRead };

/** One request body being read: its chunks, its deadline, and what to call once (no promise per request). */
class BodyRead implements Deadline {
  readonly at: number;
  first: Buffer | undefined;
  chunks: Buffer[] | undefined;
  size = 0;
  done = false;

  constructor(readonly req: IncomingMessage, readonly stream: Reading, readonly limit: number, readonly deadlines: Deadlines, readonly then: (error: BodyError | undefined, body: Buffer) => void) {
    this.at = Date.now() + deadlines.ms;
  }

  expire(): void {
    this.finish(new BodyError(TIMEOUT));
  }

  finish(error?: BodyError, body?: Buffer): void {
    if (this.done) return;
    this.done = true;
    this.deadlines.remove(this);
    if (error) {
      this.stream.removeAllListeners('data');
      if (this.stream !== this.req) (this.stream as ReturnType<typeof createGunzip>).destroy();
      this.then(error, EMPTY);
    } else this.then(undefined, body!);
  }
}

function onData(this: Reading, chunk: Buffer): void {
  const r = this[READ]!;
  r.size += chunk.length;
  // Counted after decompression, so a gzip bomb stops at the limit instead of filling memory.
  if (r.size > r.limit) return r.finish(new BodyError(TOO_LARGE));
  // Most bodies arrive in one chunk: no copy then.
  if (!r.first) r.first = chunk;
  else (r.chunks ??= [r.first]).push(chunk);
}

function onEnd(this: Reading): void {
  const r = this[READ]!;
  r.finish(undefined, r.chunks ? Buffer.concat(r.chunks, r.size) : r.first ?? EMPTY);
}

function onError(this: Reading): void {
  this[READ]!.finish(new BodyError(invalidFormat(0)));
}

function onAborted(this: Reading): void {
  this[READ]!.finish(new BodyError(TIMEOUT));
}

/** Reads a request body up to `limit` bytes (after gzip), before its deadline in `deadlines`; calls `then` once. */
function readBody(req: IncomingMessage, limit: number, deadlines: Deadlines, then: (error: BodyError | undefined, body: Buffer) => void): void {
  const encoding = req.headers['content-encoding']?.toLowerCase() ?? 'identity';
  if (encoding !== 'identity' && encoding !== 'gzip') return then(new BodyError(BAD_ENCODING), EMPTY);
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) return then(new BodyError(TOO_LARGE), EMPTY);
  const stream: Reading = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
  const read = new BodyRead(req, stream, limit, deadlines, then);
  deadlines.add(read);
  stream[READ] = read;
  if (stream !== req) (req as Reading)[READ] = read;
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onError);
  req.on('aborted', onAborted);
}

const EMPTY = Buffer.alloc(0);

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

const EVENT_PATH = '/services/collector/event';
const EVENT_PARTS = ['services', 'collector', 'event'];
const EVENT_REST = ['event'];

/** A fixed answer encoded once: the header list and the body (a string, so Node sends it with the headers in one chunk). */
interface Encoded {
  readonly head: string[];
  readonly body: string;
}
const encoded = new WeakMap<HecStatus, Encoded>();

function encode(status: HecStatus): Encoded {
  let e = encoded.get(status);
  if (!e) {
    const body = JSON.stringify(status.body);
    encoded.set(status, (e = { head: ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body))], body }));
  }
  return e;
}

/**
 * How long a 503 is held back. A sender is told to wait Retry-After seconds; one that sends again
 * at once (a load generator, a misconfigured forwarder) would otherwise keep this thread busy
 * refusing it while evaluation, which runs at a lower priority (thread-priority.ts), gets nothing
 * and the queue never drains. Held, each connection asks at most ten times a second.
 */
const BUSY_HOLD_MS = 100;

/** Answers with a HEC status (and extra headers, as name/value pairs). */
function send(res: ServerResponse, status: HecStatus, extra?: readonly string[]): void {
  if (res.headersSent) return;
  const { head, body } = encode(status);
  res.writeHead(status.status, extra ? [...head, ...extra] : head);
  res.end(body);
}

/** Starts the HTTP server; accepted requests go to `intake` before they are answered. */
export async function startHecHttp(config: HecConfig, routing: Routing, intake: Intake, report: ProblemSink): Promise<HecHttp> {
  const { served, defaultSource } = routing;
  const limit = config.maxBodyBytes ?? 1 << 20;
  const bodyTimeout = config.bodyTimeoutMs ?? 10_000;
  const maxInFlight = config.maxConcurrentRequests ?? 64;
  const busy = ['Retry-After', String(config.retryAfterSeconds ?? 1)] as const;
  const checkToken = tokenChecker(config.tokens);
  // The Authorization header that last passed the check on each connection: a sender that sends
  // the same one again on its own connection is not hashed again (no other sender can use that
  // connection, so this tells nobody anything about the token).
  const authorized = new WeakMap<Socket, string>();

  let inFlight = 0;
  const deadlines = new Deadlines(bodyTimeout);

  const pick = (name: string | null | undefined): Served | undefined => (name ? served.get(name) : defaultSource);
  // Routing keys as stored (spool records carry them as bytes), built once per route.
  const keys = new Map<Served, Buffer[]>();
  const keyBytes = (target: Served, raw: boolean, explicit: boolean): Buffer => {
    let forTarget = keys.get(target);
    if (!forTarget) keys.set(target, (forTarget = []));
    const i = (raw ? 2 : 0) + (explicit ? 1 : 0);
    return (forTarget[i] ??= Buffer.from(routeKey(target, raw, explicit)));
  };
  /** 503 with Retry-After, after BUSY_HOLD_MS (a sender waits for it before it asks again). */
  const refuseBusy = (res: ServerResponse): void => void setTimeout(send, BUSY_HOLD_MS, res, HEC.busy, busy);
  // One function for every stored request, not a closure per request.
  const stored: Stored = (res, answer, error) => send(res, error ? HEC.internalError : answer);

  function handle(req: IncomingMessage, res: ServerResponse): void {
    // No URL object per request: most requests have no query string at all, and most go to the event route.
    const href = req.url ?? '/';
    const q = href.indexOf('?');
    const query = q < 0 ? undefined : new URLSearchParams(href.slice(q + 1));
    const parts = href === EVENT_PATH ? EVENT_PARTS : (q < 0 ? href : href.slice(0, q)).split('/').filter(Boolean);
    if (parts[0] !== 'services' || parts[1] !== 'collector') return send(res, NOT_FOUND);
    const rest = parts === EVENT_PARTS ? EVENT_REST : parts.slice(2).filter((p, i) => !(i === parts.length - 3 && p === '1.0'));
    const route = rest[0] ?? 'event';
    if (route === 'health') return send(res, intake.wouldOverflow(1) ? HEC.unhealthy : HEC.healthy);
    if (req.method !== 'POST') return send(res, METHOD, ['Allow', 'POST']);
    const auth = req.headers.authorization;
    if (!auth) return send(res, HEC.tokenRequired);
    if (authorized.get(req.socket) !== auth) {
      const m = /^Splunk\s+(\S+)\s*$/i.exec(auth);
      if (!m) return send(res, HEC.invalidAuthorization);
      if (!checkToken(m[1]!)) return send(res, HEC.invalidToken);
      authorized.set(req.socket, auth);
    }

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
    if (intake.wouldOverflow(1) || inFlight >= maxInFlight) return refuseBusy(res);

    inFlight++;
    readBody(req, limit, deadlines, (failed, body) => {
      inFlight--;
      if (!failed) {
        try {
          return accept(req, res, body, target, raw, query);
        } catch {
          return send(res, HEC.internalError);
        }
      }
      report(problem('VS1010', 'http-receiver', { status: failed.status.status, peer: req.socket.remoteAddress ?? '?', detail: failed.status.body.text }));
      // The rest of the body is not read: close the connection rather than drain it.
      send(res, failed.status, ['Connection', 'close']);
      req.socket.destroySoon?.();
    });
  }

  /** Checks a body that arrived whole, stores its good events and answers. */
  function accept(req: IncomingMessage, res: ServerResponse, body: Buffer, target: Served, raw: boolean, query: URLSearchParams | undefined): void {
    const explicit = query?.has('source') ?? false;
    let count: number;
    let payload: Uint8Array = body;
    let error: HecStatus | undefined;
    if (raw) {
      const text = body.toString('utf8');
      if (text.trim() === '') return send(res, HEC.noData);
      const problems: Problem[] = [];
      ({ count, error } = parseRequest(routing, text, target, raw, explicit, problems));
      problems.forEach(report);
      if (count === 0) return send(res, invalidFormat(0));
    } else {
      // Only the envelopes before a bad one are stored: they are exactly what HEC keeps.
      const scanned = scanEventBody(body);
      ({ count, error } = scanned);
      payload = body.subarray(0, scanned.end);
      if (count === 0 && error?.body.code === 6 && body.toString('utf8').trim() === '') error = HEC.noData;
      if (error === HEC.noData) return send(res, HEC.noData);
    }
    // All or nothing per request under back-pressure: a sender retries the whole request on 503.
    if (intake.wouldOverflow(count)) return refuseBusy(res);
    if (error) report(problem('VS1010', 'http-receiver', { status: error.status, peer: req.socket.remoteAddress ?? '?', detail: error.body.text }));
    const answer = error ?? HEC.success;
    if (count === 0) return send(res, answer);
    intake.store(keyBytes(target, raw, explicit), count, payload, res, answer, stored);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    try {
      handle(req, res);
    } catch {
      send(res, HEC.internalError);
    }
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
      server.close(() => {
        deadlines.close();
        resolve();
      });
      server.closeIdleConnections();
    }),
  };
}
