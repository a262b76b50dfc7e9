import { afterEach, describe, expect, it } from 'vitest';
import { createDeliverer } from '../../../runtime/actions/action.js';
import { httpDeliverer } from '../../../runtime/actions/http.js';
import { TokenCache } from '../../../runtime/actions/oauth2.js';
import type { ResolvedCredential } from '../../../runtime/credentials.js';
import { json, localServer } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const fast = { baseMs: 5, maxMs: 50 };

async function tokenServer(lifetime = 3600) {
  let issued = 0;
  const srv = await localServer((req, res) => {
    const form = new URLSearchParams(req.body);
    if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== 'vigil' || form.get('client_secret') !== 'cs-123') return json(res, 401, { error: 'invalid_client' });
    issued++;
    json(res, 200, { access_token: `tok-${issued}`, token_type: 'Bearer', expires_in: lifetime });
  });
  cleanups.push(srv.close);
  return { ...srv, issued: () => issued };
}

const oauthCred = (tokenUrl: string): ResolvedCredential => ({ name: 'hook-client', type: 'oauth2-client', secrets: { clientSecret: 'cs-123' }, settings: { tokenUrl, clientId: 'vigil', scopes: ['alerts:write'], audience: 'https://soc' } });

describe('http action', () => {
  it('posts the alert as JSON with a client-credentials bearer token, reusing the cached token', async () => {
    const tokens = await tokenServer();
    const hook = await localServer((_req, res) => json(res, 202, {}));
    cleanups.push(hook.close);
    const deliver = httpDeliverer({ url: `${hook.url}/alerts`, headers: { 'X-Source': 'vigil' }, credential: 'hook-client' }, { credential: oauthCred(`${tokens.url}/token`), tokens: new TokenCache(), backoff: fast });
    await deliver({ rule: 'r1', level: 'high' });
    await deliver({ rule: 'r2', level: 'high' });
    expect(hook.seen.map((s) => [s.method, s.url, s.headers.authorization, s.headers['x-source'], JSON.parse(s.body).rule])).toEqual([
      ['POST', '/alerts', 'Bearer tok-1', 'vigil', 'r1'],
      ['POST', '/alerts', 'Bearer tok-1', 'vigil', 'r2'],
    ]);
    expect(new URLSearchParams(tokens.seen[0]!.body).get('scope')).toBe('alerts:write');
    expect(new URLSearchParams(tokens.seen[0]!.body).get('audience')).toBe('https://soc');
    expect(tokens.issued()).toBe(1);
  });

  it('retries 503 (honoring Retry-After) and refreshes the token after a 401', async () => {
    const tokens = await tokenServer();
    let calls = 0;
    const hook = await localServer((req, res) => {
      calls++;
      if (calls === 1) return json(res, 503, {}, { 'Retry-After': '0' });
      if (req.headers.authorization === 'Bearer tok-1') return json(res, 401, {});
      json(res, 200, {});
    });
    cleanups.push(hook.close);
    const deliver = httpDeliverer({ url: hook.url, retries: 4 }, { credential: oauthCred(`${tokens.url}/token`), tokens: new TokenCache(), backoff: fast });
    await deliver({ rule: 'r' });
    expect(hook.seen.map((s) => s.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('fails after its retries when the endpoint is down, and does not retry a 400', async () => {
    const hook = await localServer((_req, res) => json(res, 400, {}));
    const downUrl = hook.url;
    const deliver400 = httpDeliverer({ url: hook.url, retries: 3 }, { tokens: new TokenCache(), backoff: fast });
    await expect(deliver400({ rule: 'r' })).rejects.toThrow('HTTP 400');
    expect(hook.seen).toHaveLength(1);
    await hook.close();
    const deliverDown = httpDeliverer({ url: downUrl, retries: 2 }, { tokens: new TokenCache(), backoff: fast });
    const started = Date.now();
    await expect(deliverDown({ rule: 'r' })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('sends basic authentication with a basic credential, through createDeliverer', async () => {
    const hook = await localServer((_req, res) => json(res, 200, {}));
    cleanups.push(hook.close);
    const credentials = new Map([['b', { name: 'b', type: 'basic' as const, secrets: { password: 'pw' }, settings: { username: 'u' } }]]);
    const deliver = createDeliverer({ apiVersion: 'vigil/v1', kind: 'Action', metadata: { name: 'hook' }, spec: { type: 'http', http: { url: hook.url, method: 'PUT', credential: 'b' } } }, { credentials, stdout: process.stdout });
    await deliver({ rule: 'r' });
    expect([hook.seen[0]!.method, hook.seen[0]!.headers.authorization]).toEqual(['PUT', `Basic ${Buffer.from('u:pw').toString('base64')}`]);
    expect(() => createDeliverer({ apiVersion: 'vigil/v1', kind: 'Action', metadata: { name: 'x' }, spec: { type: 'http', http: { url: hook.url, credential: 'nope' } } }, { credentials, stdout: process.stdout })).toThrow('credential `nope`');
  });

  it('sends a user and password written in the URL as basic authentication, and never quotes them in an error', async () => {
    const hook = await localServer((req, res) => json(res, req.headers.authorization === `Basic ${Buffer.from('alerts:S3cret-pw!').toString('base64')}` ? 200 : 500, {}));
    cleanups.push(hook.close);
    const url = hook.url.replace('http://', 'http://alerts:S3cret-pw!@');
    const action = (target: string) => ({ apiVersion: 'vigil/v1' as const, kind: 'Action' as const, metadata: { name: 'hook' }, spec: { type: 'http' as const, http: { url: target, retries: 0 } } });
    await createDeliverer(action(url), { credentials: new Map(), stdout: process.stdout })({ rule: 'r' });
    expect(hook.seen[0]!.url).toBe('/');
    // A port nothing listens on: the error names the host, not the password.
    const down = createDeliverer(action('http://alerts:S3cret-pw!@127.0.0.1:9/'), { credentials: new Map(), stdout: process.stdout });
    const error = await down({ rule: 'r' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toMatch(/S3cret/);
  });

  it('refuses token answers that are too large, not JSON or not a bearer token, quoting none of them', async () => {
    const answers = ['x'.repeat(100 * 1024), 'at-SECRET-TOKEN-9', JSON.stringify({ access_token: 'eyJ-SECRET\nTOKEN', expires_in: 60 })];
    let n = 0;
    const tokens = await localServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(answers[n++ % answers.length]);
    });
    cleanups.push(tokens.close);
    const messages: string[] = [];
    for (let i = 0; i < answers.length; i++) {
      const cache = new TokenCache({ retries: 0 });
      messages.push(await cache.token({ tokenUrl: tokens.url, clientId: 'c', clientSecret: 's' }).then(() => 'ok', (e: Error) => e.message));
    }
    expect(messages).toEqual(['token endpoint answered with more than 65536 bytes', 'token endpoint answered with something that is not JSON', 'token endpoint answered with an access_token that is not a valid bearer token']);
  });
});
