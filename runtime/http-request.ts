/**
 * The agent's HTTP(S) requests: one function that never rejects and never reads more than it may
 * (size cap, total deadline, stall timeout, same-origin redirects only). Everything the agent
 * fetches (TUF metadata, targets, OCI blobs, status reports) goes through it.
 */
import http from 'node:http';
import https from 'node:https';

/** Bounds of one request: nothing an origin sends can make the agent wait or buffer more. */
export interface Limits {
  /** Largest body accepted; the download stops past it. */
  readonly maxBytes: number;
  /** Deadline for the whole request, headers and body. */
  readonly timeoutMs: number;
  /** Longest silence between two chunks (a stalling server). */
  readonly stallMs: number;
}

/** Limits for small requests (metadata, status reports). */
export const DEFAULT_LIMITS: Limits = { maxBytes: 1 << 20, timeoutMs: 15_000, stallMs: 5_000 };

/** Why a request produced no usable answer. */
export interface TransportError {
  readonly kind: 'timeout' | 'stalled' | 'too-large' | 'network' | 'http' | 'redirect' | 'bad-url';
  readonly message: string;
  readonly status?: number;
}

/** A request's outcome: the answer (any status the caller accepts) or a transport error. */
export type HttpOutcome =
  | { readonly ok: true; readonly status: number; readonly headers: http.IncomingHttpHeaders; readonly bytes: Uint8Array; readonly url: string }
  | { readonly ok: false; readonly error: TransportError };

/** One request. */
export interface RequestOptions {
  readonly method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
  readonly limits?: Partial<Limits>;
  /** Extra CA certificates (PEM) for HTTPS origins with a private CA. */
  readonly ca?: string | Buffer;
  /** Redirects followed when they stay on the same origin (GET and HEAD only). */
  readonly maxRedirects?: number;
}

const fail = (kind: TransportError['kind'], message: string, status?: number): HttpOutcome => ({ ok: false, error: { kind, message, ...(status === undefined ? {} : { status }) } });

/** Sends one request and collects the answer; resolves with an error value on any failure, never rejects. */
export function httpRequest(target: string | URL, opts: RequestOptions = {}): Promise<HttpOutcome> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return Promise.resolve(fail('bad-url', `\`${String(target)}\` is not a URL`));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.resolve(fail('bad-url', `\`${url.href}\` is not an http(s) URL`));
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const deadline = Date.now() + limits.timeoutMs;
  return requestOnce(url, opts, limits, deadline, opts.maxRedirects ?? 3);
}

/** Follows a redirect only when it stays on the origin asked for; anything else is refused. */
async function redirect(from: URL, location: string | undefined, opts: RequestOptions, limits: Limits, deadline: number, left: number): Promise<HttpOutcome> {
  if (!location) return fail('redirect', `${from.href} redirected without a location`);
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return fail('redirect', `${from.href} redirected to an invalid location`);
  }
  if (next.origin !== from.origin) return fail('redirect', `${from.href} redirected off its origin, to ${next.origin}; refused`);
  if (left <= 0) return fail('redirect', `${from.href}: too many redirects`);
  return requestOnce(next, opts, limits, deadline, left - 1);
}

function requestOnce(url: URL, opts: RequestOptions, limits: Limits, deadline: number, redirectsLeft: number): Promise<HttpOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const chunks: Buffer[] = [];
    let size = 0;
    const method = opts.method ?? 'GET';
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    const headers: Record<string, string> = { ...opts.headers, 'accept-encoding': 'identity' };
    if (body) headers['content-length'] = String(body.length);
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, { method, headers, ...(opts.ca ? { ca: opts.ca } : {}), agent: false });
    const done = (outcome: HttpOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(total);
      resolve(outcome);
      req.destroy();
    };
    const total = setTimeout(() => done(fail('timeout', `${url.href}: no complete answer within ${limits.timeoutMs} ms`)), Math.max(1, deadline - Date.now()));
    req.setTimeout(limits.stallMs, () => done(fail('stalled', `${url.href}: the server went silent for ${limits.stallMs} ms`)));
    req.on('error', (error) => done(fail('network', `${url.href}: ${error.message}`)));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && (method === 'GET' || method === 'HEAD')) {
        res.resume();
        settled = true;
        clearTimeout(total);
        req.destroy();
        void redirect(url, res.headers.location, opts, limits, deadline, redirectsLeft).then(resolve);
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        done(fail('too-large', `${url.href} announces ${declared} bytes, more than the ${limits.maxBytes} allowed`));
        return;
      }
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Stop reading at the cap: an endless body never reaches memory.
        if (size > limits.maxBytes) done(fail('too-large', `${url.href} sent more than the ${limits.maxBytes} bytes allowed`));
        else chunks.push(chunk);
      });
      res.on('error', (error) => done(fail('network', `${url.href}: ${error.message}`)));
      res.on('end', () => done({ ok: true, status, headers: res.headers, bytes: new Uint8Array(Buffer.concat(chunks)), url: url.href }));
    });
    req.end(body);
  });
}
