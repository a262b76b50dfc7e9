/**
 * The HTTP webhook action: POSTs (or PUTs) the alert as JSON. With an `oauth2-client` credential
 * it sends a bearer token from the client credentials grant (a 401 fetches a fresh token once);
 * with a `basic` credential, basic authentication. Failed requests are retried in place with
 * bounded backoff (`retries`); after that the outbox tries again later.
 */
import type { ActionSpec } from '../../schema/generated/action.js';
import type { ResolvedCredential } from '../credentials.js';
import type { AlertRecord, Deliver } from './alert-record.js';
import { durationMs } from './duration.js';
import type { ClientCredentials, TokenCache } from './oauth2.js';
import { HttpStatusError, retryAfterMs, withRetries, type Backoff } from './retry.js';

type HttpSpec = NonNullable<ActionSpec['http']>;

/** The client of an `oauth2-client` credential. */
export function oauthClient(credential: ResolvedCredential): ClientCredentials {
  const s = credential.settings as { tokenUrl: string; clientId: string; scopes?: string[]; audience?: string };
  return { tokenUrl: s.tokenUrl, clientId: s.clientId, clientSecret: credential.secrets.clientSecret ?? '', ...(s.scopes ? { scopes: s.scopes } : {}), ...(s.audience ? { audience: s.audience } : {}) };
}

/** Builds the deliverer of an `http` action. */
export function httpDeliverer(spec: HttpSpec, deps: { credential?: ResolvedCredential; tokens: TokenCache; backoff?: Backoff }): Deliver {
  const timeout = durationMs(spec.timeout, 10_000);
  const client = deps.credential?.type === 'oauth2-client' ? oauthClient(deps.credential) : undefined;
  // A user and password in the URL become basic authentication: fetch refuses such URLs, quoting
  // the password in its error.
  const { url, userinfo } = splitUserinfo(spec.url);
  const basic = deps.credential?.type === 'basic' ? Buffer.from(`${String(deps.credential.settings.username)}:${deps.credential.secrets.password ?? ''}`).toString('base64') : userinfo;
  return async (alert: AlertRecord, signal?: AbortSignal) => {
    const body = JSON.stringify(alert);
    let refreshed = false;
    await withRetries(
      async () => {
        const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'vigil-agent' };
        for (const [k, v] of Object.entries(spec.headers ?? {})) if (v !== undefined) headers[k] = v;
        if (client) headers.Authorization = `Bearer ${await deps.tokens.token(client)}`;
        else if (basic) headers.Authorization = `Basic ${basic}`;
        const res = await fetch(url, { method: spec.method ?? 'POST', headers, body, signal: signal ? AbortSignal.any([AbortSignal.timeout(timeout), signal]) : AbortSignal.timeout(timeout), redirect: 'error' });
        await res.body?.cancel();
        if (res.status === 401 && client && !refreshed) {
          // The token may have been revoked early: fetch a new one and count this as a retryable failure.
          refreshed = true;
          deps.tokens.invalidate(client);
          throw new HttpStatusError(503, 0, 'webhook');
        }
        if (res.status < 200 || res.status >= 300) throw new HttpStatusError(res.status, retryAfterMs(res.headers.get('retry-after')), 'webhook');
      },
      spec.retries ?? 3,
      deps.backoff,
      signal,
    );
  };
}

/** A URL without its `user:password@` part, and that part as basic-authentication text (base64). */
export function splitUserinfo(text: string): { readonly url: string; readonly userinfo?: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { url: text };
  }
  if (url.username === '' && url.password === '') return { url: text };
  const userinfo = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  url.username = '';
  url.password = '';
  return { url: url.href, userinfo };
}
