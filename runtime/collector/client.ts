import type { AnomalyAlert, CollectorBaseline } from '../engine/anomaly.js';
import { globalValues } from '../engine/anomaly.js';
import { httpRequest } from '../http-request.js';

/**
 * The agent's side of "filter on collector". The policy engine is synchronous, so `observe`
 * only queues a `POST /anomaly/seen` (every tuple the host sees for the first time, learning
 * period included, so the fleet baseline is complete) and answers "new"; before forwarding an
 * anomaly alert whose policy is suppressed on the collector, the agent awaits `isNew(alert)`,
 * which reuses the queued report's answer. Answers are idempotent per host, so a failed report
 * is simply retried; when the collector cannot be reached the alert is kept (never lost).
 */
export class CollectorClient implements CollectorBaseline {
  private readonly pending = new Map<string, Promise<boolean>>();

  /** Where reports go: `anomaly/seen` under the server's base URL (a path prefix in it is kept). */
  private readonly endpoint: URL;

  constructor(
    /** Base URL of `vigil serve`, e.g. `http://127.0.0.1:8443`. */
    server: string,
    private readonly host: string,
    /** A private CA for an HTTPS server (the agent's `--ca`): the same trust as for bundles. */
    private readonly options: { readonly ca?: string | Buffer } = {},
  ) {
    this.endpoint = new URL('anomaly/seen', server.endsWith('/') ? server : `${server}/`);
  }

  /** Queues the report of a tuple this host saw for the first time. */
  observe(policy: string, relationship: string, values: Readonly<Record<string, string>>, host: string, time: number): boolean {
    const k = JSON.stringify([policy, host, Object.entries(values)]);
    if (!this.pending.has(k)) {
      const sent = this.report(policy, relationship, values, host, time);
      this.pending.set(k, sent);
      // Drop settled reports after a while so the map stays small; isNew re-asks if needed.
      void sent.finally(() => setTimeout(() => this.pending.delete(k), 60_000).unref());
    }
    return true;
  }

  /** Whether the collector says this host is the first to see the alert's tuple (true when unreachable). */
  async isNew(alert: AnomalyAlert): Promise<boolean> {
    if (!alert.policy.suppressOnCollector) return true;
    const values = globalValues(alert.key);
    const host = alert.key.host ?? this.host;
    const k = JSON.stringify([alert.policy.id, host, Object.entries(values)]);
    return this.pending.get(k) ?? this.report(alert.policy.id, alert.policy.relationship, values, host, alert.time);
  }

  private async report(policy: string, relationship: string, values: Readonly<Record<string, string>>, host: string, time: number): Promise<boolean> {
    const res = await httpRequest(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ policy, relationship, key: values, host, time }),
      limits: { timeoutMs: 10_000, maxBytes: 4096 },
      ...(this.options.ca ? { ca: this.options.ca } : {}),
    });
    if (!res.ok || res.status !== 200) return true;
    try {
      const body = JSON.parse(Buffer.from(res.bytes).toString('utf8')) as { new?: unknown } | null;
      return body?.new !== false;
    } catch {
      return true;
    }
  }
}
