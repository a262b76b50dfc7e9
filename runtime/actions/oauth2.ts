/**
 * OAuth 2.0 client credentials grant (RFC 6749 §4.4) with a token cache: one token per client and
 * scope set, reused until shortly before it expires. Used by HTTP and email actions and by the
 * Azure sign-in source. The client secret is sent in the form body, never logged.
 */
import { HttpStatusError, retryAfterMs, withRetries, type Backoff } from './retry.js';

/** What a token request needs. */
export interface ClientCredentials {
  readonly tokenUrl: string;
  readonly clientId: string;
  /** Client secret; or a signed JWT client assertion (certificate credentials) via `assertion`. */
  readonly clientSecret?: string;
  readonly assertion?: () => string;
  readonly scopes?: readonly string[];
  readonly audience?: string;
}

interface Cached {
  readonly token: string;
  readonly expiresAt: number;
}

/** Fetches and caches access tokens. */
export class TokenCache {
  private readonly tokens = new Map<string, Cached>();

  constructor(private readonly options: { retries?: number; backoff?: Backoff; timeoutMs?: number } = {}) {}

  /** A valid access token for the client, from cache or a fresh request. */
  async token(client: ClientCredentials): Promise<string> {
    const key = `${client.tokenUrl}\n${client.clientId}\n${(client.scopes ?? []).join(' ')}\n${client.audience ?? ''}`;
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    const fresh = await withRetries(() => requestToken(client, this.options.timeoutMs ?? 15_000), this.options.retries ?? 3, this.options.backoff);
    this.tokens.set(key, fresh);
    return fresh.token;
  }

  /** The tokens held now (error text is cleaned of them). */
  held(): string[] {
    return [...this.tokens.values()].map((t) => t.token);
  }

  /** Forgets a token the server refused (401), so the next call fetches a new one. */
  invalidate(client: ClientCredentials): void {
    for (const key of this.tokens.keys()) if (key.startsWith(`${client.tokenUrl}\n${client.clientId}\n`)) this.tokens.delete(key);
  }
}

async function requestToken(client: ClientCredentials, timeoutMs: number): Promise<Cached> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId });
  if (client.assertion) {
    form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    form.set('client_assertion', client.assertion());
  } else if (client.clientSecret !== undefined) form.set('client_secret', client.clientSecret);
  if (client.scopes?.length) form.set('scope', client.scopes.join(' '));
  if (client.audience) form.set('audience', client.audience);
  const res = await fetch(client.tokenUrl, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' }, body: form, signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new HttpStatusError(res.status, retryAfterMs(res.headers.get('retry-after')), 'token endpoint');
  }
  const body = (await readJsonCapped(res, MAX_TOKEN_ANSWER_BYTES, 'token endpoint')) as { access_token?: unknown; expires_in?: unknown } | null;
  // Errors never quote the answer: it holds the token.
  if (typeof body?.access_token !== 'string') throw new Error('token endpoint answered without an access_token');
  if (!BEARER_TOKEN.test(body.access_token)) throw new Error('token endpoint answered with an access_token that is not a valid bearer token');
  const given = Number(body.expires_in ?? 3600);
  const lifetime = Number.isFinite(given) && given > 0 ? given : 3600;
  // Renew a minute early (or at half-life for short tokens) so a token never expires in flight.
  const margin = Math.min(60, lifetime / 2);
  return { token: body.access_token, expiresAt: Date.now() + (lifetime - margin) * 1000 };
}

/** A token answer larger than this is refused (an answer is a few kilobytes; an endless one must not fill memory). */
const MAX_TOKEN_ANSWER_BYTES = 64 * 1024;

/** What may follow `Bearer ` in a header: visible ASCII, no space (RFC 6750's b64token is stricter; some servers issue more). */
const BEARER_TOKEN = /^[\x21-\x7e]+$/;

/** A response body parsed as JSON, read up to `max` bytes; errors name `what`, never the body. */
export async function readJsonCapped(res: Response, max: number, what: string): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      // Leaving the loop cancels the rest of the body.
      if (size > max) throw new Error(`${what} answered with more than ${max} bytes`);
      chunks.push(chunk);
    }
  }
  try {
    return JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as unknown;
  } catch {
    throw new Error(`${what} answered with something that is not JSON`);
  }
}
