/**
 * Entra ID (Azure AD) sign-in logs for one or more tenants (an MSP lists one credential per
 * client tenant). Per tenant: a client-credentials token (client secret, or a certificate as a
 * signed JWT client assertion), then the Microsoft Graph `auditLogs/signIns` pages followed
 * through `@odata.nextLink`. Records are flattened (`status.errorCode`), tagged with the tenant
 * and client, mapped and handed to the sink page by page. A checkpoint per tenant (newest time
 * seen and the ids at that time) is stored only after a whole run, so a crash repeats pages
 * (at least once) and never skips any; records at the checkpoint time are not delivered twice.
 * Throttling (429) and server errors are retried with bounded backoff, honoring Retry-After.
 */
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import type { Credential } from '../../schema/generated/credential.js';
import type { LogFormat } from '../../schema/generated/log-format.js';
import type { LogSource } from '../../schema/generated/log-source.js';
import { TokenCache, type ClientCredentials } from '../actions/oauth2.js';
import { HttpStatusError, retryAfterMs, withRetries, type Backoff } from '../actions/retry.js';
import { resolveCredential, type ResolvedCredential, type ResolveOptions } from '../credentials.js';
import type { Store } from '../state/store.js';
import { tagger, type EventSink } from './event-sink.js';
import { compileFormat, type SourceEvent } from './log-format.js';
import { ignoreProblems, problem, type ProblemSink } from './problems.js';

/** One tenant to read: its resolved `azure-ad-app` credential, tenant id and client name. */
export interface AzureTenant {
  readonly credential: ResolvedCredential;
  readonly tenantId: string;
  readonly client?: string;
}

/** Endpoints and limits; the defaults are Microsoft's public cloud. Tests point them at a local fake. */
export interface AzureOptions {
  readonly authorityUrl?: string;
  readonly graphUrl?: string;
  readonly pageSize?: number;
  /** How far back the first run reads. */
  readonly lookbackMs?: number;
  readonly retries?: number;
  readonly backoff?: Backoff;
  readonly tokens?: TokenCache;
  readonly timeoutMs?: number;
}

/** How far past this host's clock a record's time may be and still move the checkpoint. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** Whether `url` is an absolute URL on the origin of `base`. */
function sameOrigin(url: string, base: string): boolean {
  try {
    return new URL(url).origin === new URL(base).origin;
  } catch {
    return false;
  }
}

/** Flattens nested objects into dotted keys (`location.city`); arrays stay values. */
export function flattenRecord(record: Readonly<Record<string, unknown>>, prefix = '', out: SourceEvent = {}): SourceEvent {
  for (const [k, v] of Object.entries(record)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) flattenRecord(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** A signed JWT client assertion from a PEM holding the certificate and its private key (RFC 7523). */
export function clientAssertion(pem: string, clientId: string, tokenUrl: string, nowMs = Date.now()): string {
  const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!certPem) throw new Error('the certificate credential holds no PEM certificate');
  const cert = new X509Certificate(certPem);
  const thumbprint = Buffer.from(cert.fingerprint.replace(/:/g, ''), 'hex');
  const header = { alg: 'RS256', typ: 'JWT', x5t: base64url(thumbprint) };
  const now = Math.floor(nowMs / 1000);
  const payload = { aud: tokenUrl, iss: clientId, sub: clientId, jti: randomUUID(), nbf: now, iat: now, exp: now + 600 };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(input), createPrivateKey(pem));
  return `${input}.${base64url(signature)}`;
}

/** Resolves the tenants of an `azure-signin` LogSource from its Credential documents. */
export async function resolveAzureTenants(source: LogSource, credentials: readonly Credential[], options: ResolveOptions = {}): Promise<AzureTenant[]> {
  const tenants: AzureTenant[] = [];
  for (const ref of source.spec.credentials ?? []) {
    const doc = credentials.find((c) => c.metadata.name === ref.credential);
    if (!doc) throw new Error(`LogSource \`${source.metadata.name}\` refers to unknown credential \`${ref.credential}\``);
    if (doc.spec.type !== 'azure-ad-app') throw new Error(`credential \`${ref.credential}\` is not an azure-ad-app`);
    const credential = await resolveCredential(doc, options);
    tenants.push({ credential, tenantId: ref.tenantId ?? String(credential.settings.tenantId), ...(ref.client ? { client: ref.client } : {}) });
  }
  return tenants;
}

interface Checkpoint {
  readonly time: string;
  readonly ids: readonly string[];
}

/** A running sign-in source; `poll()` reads every tenant once. */
export interface AzureSignInSource {
  /** Reads new sign-ins of every tenant; resolves with the number delivered. Tenant failures are reported, not thrown. */
  poll(): Promise<number>;
}

/** Creates the source for an `azure-signin` LogSource. */
export function createAzureSignInSource(
  source: LogSource,
  tenants: readonly AzureTenant[],
  format: LogFormat | undefined,
  deps: { store: Store; sink: EventSink; report?: ProblemSink },
  options: AzureOptions = {},
): AzureSignInSource {
  const name = source.metadata.name;
  const report = deps.report ?? ignoreProblems;
  const authority = (options.authorityUrl ?? 'https://login.microsoftonline.com').replace(/\/$/, '');
  const graph = (options.graphUrl ?? 'https://graph.microsoft.com').replace(/\/$/, '');
  const tokens = options.tokens ?? new TokenCache({ retries: options.retries ?? 4, ...(options.backoff ? { backoff: options.backoff } : {}) });
  const tag = tagger(source);
  const compiled = format ? compileFormat(format.spec) : undefined;
  const timeout = options.timeoutMs ?? 30_000;
  const db = deps.store.db;
  const getCheckpoint = db.prepare<[string, string], { last_time: string; last_ids: string }>('SELECT last_time, last_ids FROM azure_checkpoints WHERE source = ? AND tenant = ?');
  const putCheckpoint = db.prepare(
    `INSERT INTO azure_checkpoints (source, tenant, last_time, last_ids, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (source, tenant) DO UPDATE SET last_time = excluded.last_time, last_ids = excluded.last_ids, updated_at = excluded.updated_at`,
  );

  function clientOf(t: AzureTenant): ClientCredentials {
    const tokenUrl = `${authority}/${encodeURIComponent(t.tenantId)}/oauth2/v2.0/token`;
    const clientId = String(t.credential.settings.clientId);
    const scopes = [`${graph}/.default`];
    const secret = t.credential.secrets.clientSecret;
    if (secret !== undefined) return { tokenUrl, clientId, clientSecret: secret, scopes };
    const pem = t.credential.secrets.certificate;
    if (pem === undefined) throw new Error('the credential has neither a client secret nor a certificate');
    return { tokenUrl, clientId, scopes, assertion: () => clientAssertion(pem, clientId, tokenUrl) };
  }

  async function getPage(url: string, client: ClientCredentials): Promise<{ value: Record<string, unknown>[]; next?: string }> {
    let refreshed = false;
    return withRetries(
      async () => {
        const token = await tokens.token(client);
        const res = await fetch(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, signal: AbortSignal.timeout(timeout) });
        if (res.status === 401 && !refreshed) {
          refreshed = true;
          tokens.invalidate(client);
          await res.body?.cancel();
          throw new HttpStatusError(503, 0, 'sign-in log API');
        }
        if (!res.ok) {
          await res.body?.cancel();
          throw new HttpStatusError(res.status, retryAfterMs(res.headers.get('retry-after')), 'sign-in log API');
        }
        const body = (await res.json()) as { value?: unknown; '@odata.nextLink'?: unknown };
        if (!Array.isArray(body.value)) throw new Error('the sign-in log API answered without a `value` array');
        const next = typeof body['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : undefined;
        return next ? { value: body.value as Record<string, unknown>[], next } : { value: body.value as Record<string, unknown>[] };
      },
      options.retries ?? 4,
      options.backoff,
    );
  }

  async function pollTenant(t: AzureTenant): Promise<number> {
    const row = getCheckpoint.get(name, t.tenantId);
    const checkpoint: Checkpoint = row ? { time: row.last_time, ids: JSON.parse(row.last_ids) as string[] } : { time: new Date(Date.now() - (options.lookbackMs ?? 86_400_000)).toISOString(), ids: [] };
    const seenAtCheckpoint = new Set(checkpoint.ids);
    const checkpointMs = Date.parse(checkpoint.time);
    let newest = checkpoint.time;
    let newestMs = checkpointMs;
    let newestIds = new Set(checkpoint.ids);
    const client = clientOf(t);
    const filter = encodeURIComponent(`createdDateTime ge ${checkpoint.time}`);
    let url: string | undefined = `${graph}/v1.0/auditLogs/signIns?$filter=${filter}&$top=${options.pageSize ?? 500}`;
    let delivered = 0;
    const visited = new Set<string>();
    const pollStart = Date.now();
    const futureIds = new Set<string>();
    while (url) {
      // A server that sends the same nextLink again would otherwise loop forever.
      if (visited.has(url)) break;
      visited.add(url);
      const page: { value: Record<string, unknown>[]; next?: string } = await getPage(url, client);
      const batch = [];
      for (const record of page.value) {
        const id = typeof record.id === 'string' ? record.id : '';
        const created = typeof record.createdDateTime === 'string' ? record.createdDateTime : '';
        // Times compare as instants: Graph may write `…:00Z` where the checkpoint has `…:00.000Z`.
        const createdMs = Date.parse(created);
        // A record dated later than now (a clock gone wrong upstream) is delivered once but does
        // not move the checkpoint, or the next poll would ask for nothing before that date: its id
        // is kept with the checkpoint's instead, so it is not delivered again.
        const future = createdMs > pollStart + CLOCK_SKEW_MS;
        if (future) futureIds.add(id);
        if (seenAtCheckpoint.has(id) && (createdMs === checkpointMs || future)) continue;
        if (!future && createdMs > newestMs) {
          newest = created;
          newestMs = createdMs;
          newestIds = new Set();
        }
        if (!future && createdMs === newestMs) newestIds.add(id);
        const event = flattenRecord(record);
        event.tenantId = t.tenantId;
        if (t.client) event.client = t.client;
        if (compiled) compiled.stamp(event);
        if (!('@timestamp' in event) && created) event['@timestamp'] = created;
        batch.push(tag(event));
      }
      if (batch.length) await deps.sink(batch);
      delivered += batch.length;
      // The next page gets the tenant's bearer token: only from the API's own origin.
      if (page.next !== undefined && !sameOrigin(page.next, graph)) throw new Error('the sign-in log API gave a nextLink to another host; not followed');
      url = page.next;
    }
    putCheckpoint.run(name, t.tenantId, newest, JSON.stringify([...new Set([...newestIds, ...futureIds])].sort()), Date.now());
    return delivered;
  }

  return {
    async poll() {
      let total = 0;
      for (const t of tenants) {
        try {
          total += await pollTenant(t);
        } catch (error) {
          report(problem('VS1009', name, { what: 'reading sign-in logs', tenant: t.tenantId, detail: (error as Error).message }));
        }
      }
      return total;
    },
  };
}
