/**
 * The HTTP(S) origin of `vigil agent`: a `vigil serve` server or any static copy of OUT. Polls
 * timestamp.json with If-None-Match (so an unchanged repository costs one small 304) and reports
 * the agent's status to `POST /status`.
 */
import type { Origin } from './agent.js';
import { httpRequest, type Limits } from './http-request.js';
import { HttpFetcher } from './pull.js';

/** Options of the HTTP(S) origin. */
export interface HttpOriginOptions {
  /** Base URL of the repository (where timestamp.json is). */
  readonly base: string;
  readonly host: string;
  readonly group: string;
  readonly limits?: Partial<Limits>;
  readonly ca?: string | Buffer;
}

/** An origin served over HTTP(S): polls timestamp.json with If-None-Match, reports to `POST /status`. */
export function httpOrigin(opts: HttpOriginOptions): Origin {
  const base = opts.base.endsWith('/') ? opts.base : `${opts.base}/`;
  const headers = { 'x-vigil-host': opts.host, 'x-vigil-group': opts.group, 'user-agent': 'vigil-agent/0.1.0' };
  const tls = opts.ca ? { ca: opts.ca } : {};
  let etag: string | undefined;
  let ring: string | undefined;
  return {
    async poll() {
      const url = `${base}timestamp.json`;
      const r = await httpRequest(url, { headers: { ...headers, ...(etag ? { 'if-none-match': etag } : {}) }, limits: { ...opts.limits, maxBytes: 16_384 }, ...tls });
      if (!r.ok) return { kind: 'unreachable', error: r.error };
      const offered = r.headers['x-vigil-ring'];
      if (typeof offered === 'string') ring = offered;
      if (r.status === 304) return { kind: 'unchanged' };
      if (r.status !== 200) return { kind: 'unreachable', error: { kind: 'http', message: `${url}: HTTP ${r.status}`, status: r.status } };
      const tag = typeof r.headers.etag === 'string' ? r.headers.etag : undefined;
      const fetcher = new HttpFetcher({ base, headers, ...(opts.limits ? { limits: opts.limits } : {}), ...tls, prefetched: new Map([[url, r.bytes]]) });
      return { kind: 'changed', fetcher, commit: () => (etag = tag) };
    },
    async report(status) {
      const r = await httpRequest(`${base}status`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(status), limits: { ...opts.limits, maxBytes: 65_536 }, ...tls });
      if (!r.ok) return r.error;
      return r.status === 204 || r.status === 200 ? undefined : { kind: 'http', message: `status report answered HTTP ${r.status}`, status: r.status };
    },
    ring: () => ring,
  };
}
