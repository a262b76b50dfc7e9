/**
 * The HTTP receiver, compatible with Splunk's HTTP Event Collector so firewalls and log shippers
 * that speak HEC (Palo Alto, Fortinet, SonicWall, Vector, Fluent Bit, …) can post to the agent:
 *   POST /services/collector/event[/1.0]   concatenated JSON envelopes
 *   POST /services/collector[/1.0]         the same
 *   POST /services/collector/raw[/1.0]     lines per the LogSource's LogFormat (CSV, JSON Lines, …)
 *   POST /services/collector/<source>      raw lines for the LogSource named <source>
 *   GET  /services/collector/health[/1.0]  200 healthy, 503 when the queue is full
 * `?source=<LogSource>` selects the LogSource (default: the first one served). Every request
 * but health needs `Authorization: Splunk <token>`, compared in constant time. Bodies are
 * bounded before and after gzip, slow senders time out, and a full queue answers 503 with
 * Retry-After; accepted events are spooled durably (hec-spool.ts) before the 200.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createGunzip } from 'node:zlib';
import type { LogFormat } from '../../schema/generated/log-format.js';
import type { LogSource } from '../../schema/generated/log-source.js';
import type { Store } from '../state/store.js';
import { parseDelimited } from './delimited.js';
import type { EventSink } from './event-sink.js';
import { compileFieldMap, type FieldMapper } from './field-map.js';
import { HEC, invalidFormat, parseEventBody, stringDecoder, type EventDecoder, type HecStatus } from './hec-body.js';
import { HecSpool, type SpoolGroup } from './hec-spool.js';
import { parseJsonLines } from './jsonl.js';
import { compileFormat, type CompiledFormat, type SourceEvent } from './log-format.js';
import { ignoreProblems, problem, type Problem, type ProblemSink } from './problems.js';

/** A LogSource the receiver serves, with its LogFormat. */
export interface HecSourceConfig {
  readonly source: LogSource;
  readonly format?: LogFormat;
}

/** Receiver settings with secrets already resolved (see hec-config.ts). */
export interface HecConfig {
  readonly port: number;
  readonly bind?: string;
  /** Accepted tokens (resolved secret values). */
  readonly tokens: readonly string[];
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly maxBodyBytes?: number;
  /** Events the durable queue holds before senders get 503. */
  readonly queueSize?: number;
  readonly sources: readonly HecSourceConfig[];
  /** A request body must arrive within this time (slow senders get 408). */
  readonly bodyTimeoutMs?: number;
  /** Requests read at the same time; more get 503 (bounds memory to about this × maxBodyBytes). */
  readonly maxConcurrentRequests?: number;
  /** Seconds a sender is told to wait after a 503. */
  readonly retryAfterSeconds?: number;
  /** Open connections at most; more are refused by the OS backlog (default 1024). */
  readonly maxConnections?: number;
}

/** A running receiver. */
export interface HecReceiver {
  readonly port: number;
  readonly url: string;
  /** Events accepted and not yet processed by the sink. */
  queued(): number;
  /** Resolves once every accepted event has been handed to the sink. */
  drained(): Promise<void>;
  /** Stops accepting, waits for requests in progress and (up to 5 s) the batch being processed; spooled events stay for the next start. */
  close(): Promise<void>;
}

interface Served {
  readonly name: string;
  readonly source: LogSource;
  readonly format: CompiledFormat | undefined;
  readonly map: FieldMapper;
  readonly decode: EventDecoder;
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

/** Parses a raw body per the source's format: JSON Lines, or delimited rows (bad lines reported, not fatal). */
function parseRaw(text: string, served: Served, problems: Problem[]): SourceEvent[] {
  if (served.format && served.format.type !== 'jsonl' && served.format.type !== 'syslog') {
    const r = parseDelimited(text, served.format, served.name, { line: 0 }, true);
    problems.push(...r.problems);
    return r.rows.map((x) => x.event);
  }
  if (!served.format || served.format.type === 'jsonl') {
    const r = parseJsonLines(text, 1, served.name, served.format);
    problems.push(...r.problems);
    return r.rows.map((x) => x.event);
  }
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').map((message) => ({ message }));
}

/** The events of a request body by LogSource, and the error that stopped parsing, if any. */
interface ParsedRequest {
  readonly groups: SpoolGroup[];
  readonly count: number;
  readonly error?: HecStatus;
}

/** How a request is routed; stored with its body so a restart parses it the same way. */
function routeKey(target: Served, raw: boolean, explicit: boolean): string {
  return `${raw ? 'r' : 'e'}|${explicit ? 1 : 0}|${target.name}`;
}

/** Starts the receiver; events go to the durable spool and from there to `sink`. */
export async function startHecReceiver(config: HecConfig, sink: EventSink, store: Store, report: ProblemSink = ignoreProblems): Promise<HecReceiver> {
  if (config.sources.length === 0) throw new Error('an HTTP receiver needs at least one LogSource');
  const served = new Map<string, Served>();
  for (const { source, format } of config.sources) {
    const compiled = format ? compileFormat(format.spec) : undefined;
    const name = source.metadata.name;
    served.set(name, { name, source, format: compiled, map: compileFieldMap(source.spec.fieldMappings), decode: stringDecoder(compiled, name) });
  }
  const defaultSource = served.get(config.sources[0]!.source.metadata.name)!;
  const limit = config.maxBodyBytes ?? 1 << 20;
  const bodyTimeout = config.bodyTimeoutMs ?? 10_000;
  const maxInFlight = config.maxConcurrentRequests ?? 64;
  const retryAfter = String(config.retryAfterSeconds ?? 1);
  const checkToken = tokenChecker(config.tokens);
  /** Parses a body into events per LogSource: raw lines per the target's format, or HEC envelopes routed by their `source`. */
  const parseRequest = (text: string, target: Served, raw: boolean, explicit: boolean, problems: Problem[]): ParsedRequest => {
    if (raw) {
      const events = parseRaw(text, target, problems);
      return { groups: [{ source: target.name, events: events.map(target.map) }], count: events.length };
    }
    const route = (s: string | undefined) => (!explicit && s && served.get(s)) || target;
    const parsed = parseEventBody(text, (s) => route(s).decode, (s, e) => void route(s).format?.stamp(e));
    const groups: SpoolGroup[] = [];
    parsed.events.forEach((e, i) => {
      const to = route(parsed.sources[i]);
      const last = groups[groups.length - 1];
      if (last?.source === to.name) last.events.push(to.map(e));
      else groups.push({ source: to.name, events: [to.map(e)] });
    });
    return { groups, count: parsed.events.length, ...(parsed.error ? { error: parsed.error } : {}) };
  };
  // After a restart, a stored body is parsed again with the same route (and today's mappings).
  const revive = (key: string, body: string): SpoolGroup[] => {
    const [kind, explicit, name] = key.split('|');
    const target = served.get(name ?? '') ?? defaultSource;
    return parseRequest(body, target, kind === 'r', explicit === '1', []).groups;
  };
  const spool = new HecSpool(store, config.queueSize ?? 10_000, revive);
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
    const { groups, count, error } = parseRequest(text, target, raw, explicit, problems);
    problems.forEach(report);
    if (raw && count === 0) return send(res, invalidFormat(0));
    // All or nothing per request under back-pressure: a sender retries the whole request on 503.
    if (spool.wouldOverflow(count)) return send(res, HEC.busy, busy());
    if (count > 0) {
      try {
        await spool.acceptBody(routeKey(target, raw, explicit), text, groups);
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

  const abort = new AbortController();
  const tagged = (name: string) => {
    const s = served.get(name);
    return { source: name, ...(s?.source.spec.logsource ? { logsource: s.source.spec.logsource } : {}) };
  };
  const pumping = spool.pump(async (batch) => {
    const tag = tagged(batch.source);
    await sink(batch.events.map((event) => ({ ...tag, event })));
  }, abort.signal);

  return {
    port,
    url: `${config.tls ? 'https' : 'http'}://${config.bind && config.bind !== '0.0.0.0' ? config.bind : '127.0.0.1'}:${port}`,
    queued: () => spool.size,
    drained: () => spool.whenEmpty(),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      spool.close();
      abort.abort();
      // A sink stuck in a batch must not hold up shutdown; that batch stays spooled for the next start.
      await Promise.race([pumping, new Promise((r) => setTimeout(r, 5000).unref())]);
    },
  };
}
