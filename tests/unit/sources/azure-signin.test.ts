import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogSource } from '../../../schema/generated/log-source.js';
import { clientAssertion, createAzureSignInSource, flattenRecord, resolveAzureTenants, type AzureTenant } from '../../../runtime/sources/azure-signin.js';
import type { SourcedEvent } from '../../../runtime/sources/event-sink.js';
import type { Problem } from '../../../runtime/sources/problems.js';
import { json, localServer } from '../actions/helpers.js';
import { tempState } from './hec-helpers.js';

const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
const certPem = readFileSync(path.join(fixtures, 'receiver.crt'), 'utf8');
const certBundle = certPem + readFileSync(path.join(fixtures, 'receiver.key'), 'utf8');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const T1 = '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const T2 = '8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d';

interface FakeOptions {
  readonly throttleOnce?: boolean;
  /** A nextLink on every page, pointing wherever the test says. */
  readonly nextLink?: string;
}

/** A fake Entra ID token endpoint and Graph sign-in API: issues tokens, pages results, throttles. */
async function fakeAzure(records: Record<string, Record<string, unknown>[]>, opts: FakeOptions = {}) {
  let throttled = false;
  let tokenFailures = 0;
  const tokenCalls: string[] = [];
  const srv = await localServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(u.pathname);
    if (tokenPath && req.method === 'POST') {
      const tenant = tokenPath[1]!;
      const form = new URLSearchParams(req.body);
      tokenCalls.push(tenant);
      // The first token request ever fails with a server error, to be retried.
      if (tokenFailures++ === 0) return json(res, 503, { error: 'temporarily_unavailable' });
      if (form.get('scope') !== `${srv.url}/.default`) return json(res, 400, { error: 'invalid_scope' });
      if (tenant === T1 && form.get('client_id') === 'app-1' && form.get('client_secret') === 'secret-1') return json(res, 200, { access_token: `tok:${T1}`, expires_in: 3600 });
      if (tenant === T2 && form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        const [h, p, sig] = (form.get('client_assertion') ?? '').split('.');
        const ok = verify('sha256', Buffer.from(`${h}.${p}`), createPublicKey(certPem), Buffer.from(sig ?? '', 'base64url'));
        const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as { aud: string; iss: string };
        if (ok && claims.iss === 'app-2' && claims.aud === `${srv.url}${u.pathname}`) return json(res, 200, { access_token: `tok:${T2}`, expires_in: 3600 });
      }
      return json(res, 401, { error: 'invalid_client' });
    }
    if (u.pathname === '/v1.0/auditLogs/signIns') {
      const tenant = /^Bearer tok:(.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!tenant) return json(res, 401, { error: 'InvalidAuthenticationToken' });
      const skip = Number(u.searchParams.get('$skiptoken') ?? 0);
      if (opts.throttleOnce && skip > 0 && !throttled) {
        throttled = true;
        return json(res, 429, { error: { code: 'TooManyRequests' } }, { 'Retry-After': '1' });
      }
      const since = Date.parse(/createdDateTime ge (\S+)/.exec(u.searchParams.get('$filter') ?? '')?.[1] ?? '');
      const top = Number(u.searchParams.get('$top') ?? 100);
      const all = (records[tenant] ?? []).filter((r) => Date.parse(r.createdDateTime as string) >= since);
      const page = all.slice(skip, skip + top);
      const next = opts.nextLink !== undefined ? opts.nextLink : skip + top < all.length ? `${srv.url}/v1.0/auditLogs/signIns?$filter=${encodeURIComponent(u.searchParams.get('$filter') ?? '')}&$top=${top}&$skiptoken=${skip + top}` : undefined;
      return json(res, 200, { value: page, ...(next ? { '@odata.nextLink': next } : {}) });
    }
    json(res, 404, {});
  });
  cleanups.push(srv.close);
  return { ...srv, tokenCalls };
}

const signIn = (id: string, time: string, extra: Record<string, unknown> = {}) => ({ id, createdDateTime: time, userPrincipalName: `${id}@contoso.com`, ipAddress: '203.0.113.5', status: { errorCode: 50126, failureReason: 'Invalid username or password' }, location: { city: 'Rotterdam', geoCoordinates: { latitude: 51.9 } }, ...extra });

const source: LogSource = {
  apiVersion: 'vigil/v1', kind: 'LogSource', metadata: { name: 'signins' },
  spec: { type: 'azure-signin', credentials: [{ credential: 'c1', tenantId: T1, client: 'contoso' }, { credential: 'c2', tenantId: T2, client: 'northwind' }], logsource: { product: 'azure', service: 'signinlogs' }, fieldMappings: { userPrincipalName: 'UserPrincipalName', 'status.errorCode': 'ResultType' } },
};

const tenants: AzureTenant[] = [
  { credential: { name: 'c1', type: 'azure-ad-app', secrets: { clientSecret: 'secret-1' }, settings: { tenantId: T1, clientId: 'app-1' } }, tenantId: T1, client: 'contoso' },
  { credential: { name: 'c2', type: 'azure-ad-app', secrets: { certificate: certBundle }, settings: { tenantId: T2, clientId: 'app-2' } }, tenantId: T2, client: 'northwind' },
];

function run(url: string, store: ReturnType<ReturnType<typeof tempState>['open']>, sink?: (b: readonly SourcedEvent[]) => void | Promise<void>) {
  const events: SourcedEvent[] = [];
  const problems: Problem[] = [];
  const src = createAzureSignInSource(source, tenants, undefined, { store, sink: sink ?? ((b) => void events.push(...b)), report: (p) => void problems.push(p) }, { authorityUrl: url, graphUrl: url, pageSize: 2, lookbackMs: 365 * 86_400_000 * 10, backoff: { baseMs: 5, maxMs: 2000 } });
  return { src, events, problems };
}

describe('Azure sign-in source', () => {
  it('reads every tenant through nextLink pages, retries throttling and token errors, flattens and maps records', async () => {
    const api = await fakeAzure({ [T1]: [signIn('a1', '2024-05-01T10:00:00Z'), signIn('a2', '2024-05-01T10:01:00Z'), signIn('a3', '2024-05-01T10:02:00Z')], [T2]: [signIn('b1', '2024-05-01T11:00:00Z')] }, { throttleOnce: true });
    const state = tempState();
    cleanups.push(state.cleanup);
    const { src, events, problems } = run(api.url, state.open());
    const started = Date.now();
    expect(await src.poll()).toBe(4);
    // Retry-After: 1 was honored on the throttled page.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(problems).toEqual([]);
    expect(events.map((e) => [e.event.id, e.event.client, e.event.tenantId])).toEqual([['a1', 'contoso', T1], ['a2', 'contoso', T1], ['a3', 'contoso', T1], ['b1', 'northwind', T2]]);
    expect(events[0]).toEqual({
      source: 'signins', logsource: { product: 'azure', service: 'signinlogs' },
      event: { id: 'a1', createdDateTime: '2024-05-01T10:00:00Z', UserPrincipalName: 'a1@contoso.com', ipAddress: '203.0.113.5', ResultType: 50126, 'status.failureReason': 'Invalid username or password', 'location.city': 'Rotterdam', 'location.geoCoordinates.latitude': 51.9, tenantId: T1, client: 'contoso', '@timestamp': '2024-05-01T10:00:00Z' },
    });
    const pages = api.seen.filter((s) => s.url.startsWith('/v1.0/'));
    // Tenant 1: two pages plus the throttled retry of the second; tenant 2: one page.
    expect(pages.length).toBe(2 + 1 + 1);
    expect(pages.filter((s) => s.url.includes('skiptoken=2'))).toHaveLength(2);
  });

  it('resumes from the per-tenant checkpoint without repeating records at the checkpoint time', async () => {
    const records = { [T1]: [signIn('a1', '2024-05-01T10:00:00Z'), signIn('a2', '2024-05-01T10:05:00Z')], [T2]: [] as Record<string, unknown>[] };
    const api = await fakeAzure(records);
    const state = tempState();
    cleanups.push(state.cleanup);
    const store = state.open();
    expect(await run(api.url, store).src.poll()).toBe(2);
    const checkpoints = store.db.prepare('SELECT tenant, last_time, last_ids FROM azure_checkpoints ORDER BY tenant').all();
    expect(checkpoints).toEqual(expect.arrayContaining([{ tenant: T1, last_time: '2024-05-01T10:05:00Z', last_ids: '["a2"]' }]));
    records[T1].push(signIn('a2b', '2024-05-01T10:05:00Z'), signIn('a3', '2024-05-01T10:06:00Z'));
    const second = run(api.url, store);
    expect(await second.src.poll()).toBe(2);
    expect(second.events.map((e) => e.event.id)).toEqual(['a2b', 'a3']);
  });

  it('delivers a record dated in the future once, without moving the checkpoint past now', async () => {
    const records = { [T1]: [signIn('a1', '2024-05-01T10:00:00Z'), signIn('bad-clock', '2999-01-01T00:00:00Z')], [T2]: [] as Record<string, unknown>[] };
    const api = await fakeAzure(records);
    const state = tempState();
    cleanups.push(state.cleanup);
    const store = state.open();
    expect(await run(api.url, store).src.poll()).toBe(2);
    const checkpoint = store.db.prepare('SELECT last_time, last_ids FROM azure_checkpoints WHERE tenant = ?').get(T1);
    expect(checkpoint).toEqual({ last_time: '2024-05-01T10:00:00Z', last_ids: '["a1","bad-clock"]' });
    records[T1].push(signIn('a2', '2024-05-01T10:05:00Z'));
    const second = run(api.url, store);
    expect(await second.src.poll()).toBe(1);
    expect(second.events.map((e) => e.event.id)).toEqual(['a2']);
  });

  it('never sends a tenant\'s token to a nextLink on another host', async () => {
    const api = await fakeAzure({ [T1]: [signIn('a1', '2024-05-01T10:00:00Z')], [T2]: [] }, { nextLink: 'http://127.0.0.2:9/v1.0/auditLogs/signIns?$skiptoken=1' });
    const state = tempState();
    cleanups.push(state.cleanup);
    const { src, events, problems } = run(api.url, state.open());
    expect(await src.poll()).toBe(0);
    // The first page was delivered (at least once: the checkpoint stays, so it comes again).
    expect(events.map((e) => e.event.id)).toEqual(['a1']);
    expect(problems.map((p) => [p.code, p.message.includes('nextLink to another host')])).toEqual([['VS1009', true], ['VS1009', true]]);
  });

  it('reports a failing tenant, keeps reading the others, and repeats pages when the sink failed', async () => {
    const api = await fakeAzure({ [T1]: [signIn('a1', '2024-05-01T10:00:00Z')], [T2]: [signIn('b1', '2024-05-01T11:00:00Z')] });
    const state = tempState();
    cleanups.push(state.cleanup);
    const store = state.open();
    const badTenants: AzureTenant[] = [{ ...tenants[0]!, credential: { ...tenants[0]!.credential, secrets: { clientSecret: 'wrong' } } }, tenants[1]!];
    const events: SourcedEvent[] = [];
    const problems: Problem[] = [];
    const src = createAzureSignInSource(source, badTenants, undefined, { store, sink: (b) => void events.push(...b), report: (p) => void problems.push(p) }, { authorityUrl: api.url, graphUrl: api.url, lookbackMs: 1e12, backoff: { baseMs: 1, maxMs: 5 } });
    expect(await src.poll()).toBe(1);
    expect(events.map((e) => e.event.id)).toEqual(['b1']);
    expect(problems.map((p) => [p.code, p.origin])).toEqual([['VS1009', 'signins']]);
    expect(problems[0]!.message).toContain(T1);
    expect(problems[0]!.message).not.toContain('wrong');

    const failing = run(api.url, store, () => Promise.reject(new Error('agent busy')));
    expect(await failing.src.poll()).toBe(0);
    const after = run(api.url, store);
    expect(await after.src.poll()).toBe(1);
    expect(after.events.map((e) => e.event.id)).toEqual(['a1']);
  });

  it('resolves tenants from the LogSource credentials', async () => {
    const tenantsResolved = await resolveAzureTenants(source, [
      { apiVersion: 'vigil/v1', kind: 'Credential', metadata: { name: 'c1' }, spec: { type: 'azure-ad-app', azureAdApp: { tenantId: 'default-tenant', clientId: 'app-1', clientSecret: 'env:S1' } } },
      { apiVersion: 'vigil/v1', kind: 'Credential', metadata: { name: 'c2' }, spec: { type: 'azure-ad-app', azureAdApp: { tenantId: T2, clientId: 'app-2', certificate: 'env:C2' } } },
    ], { env: { S1: 's', C2: 'pem' } });
    expect(tenantsResolved.map((t) => [t.tenantId, t.client, t.credential.secrets])).toEqual([[T1, 'contoso', { clientSecret: 's' }], [T2, 'northwind', { certificate: 'pem' }]]);
  });

  it('flattens nested records and signs client assertions that verify with the certificate', () => {
    expect(flattenRecord({ a: { b: { c: 1 } }, d: [1, { e: 2 }], f: null })).toEqual({ 'a.b.c': 1, d: [1, { e: 2 }], f: null });
    const jwt = clientAssertion(certBundle, 'app', 'https://login/t/oauth2/v2.0/token', 0);
    const [h, p, s] = jwt.split('.');
    expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(p!, 'base64url').toString())).toMatchObject({ aud: 'https://login/t/oauth2/v2.0/token', iss: 'app', sub: 'app', exp: 600 });
    expect(verify('sha256', Buffer.from(`${h}.${p}`), createPublicKey(certPem), Buffer.from(s!, 'base64url'))).toBe(true);
  });
});
