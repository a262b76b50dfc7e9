import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectorBaseline } from '../engine/anomaly.js';
import { MAX_DATE_MS } from '../engine/field-access.js';

/**
 * The collector's global anomaly baseline ("filter on collector"): every host reports the
 * value tuples it sees for the first time, and the collector remembers which tuple any host
 * reported first. A tuple already reported by host A is not new for host B, so anomalies with
 * `suppressOnCollector` alert once per fleet rather than once per host. The baseline exports as
 * JSON with the four built-in relationships (parent/child, user/process, process/DLL,
 * user/pipe) for the anomaly-baseline view. Pure in memory; `BaselinePersistence` (SQLite in
 * runtime/collector/baseline-sqlite.ts) makes it survive restarts.
 */

/** One tuple in the global baseline. */
export interface BaselineRow {
  readonly policy: string;
  readonly relationship: string;
  /** Key fields without `host`. */
  readonly values: Readonly<Record<string, string>>;
  readonly firstHost: string;
  readonly firstSeen: number;
  lastSeen: number;
  /** Distinct hosts that reported it, capped at MAX_HOSTS. */
  hosts: string[];
  /** Reports received (one per host that saw it for the first time). */
  count: number;
}

/** Where rows are kept between restarts. */
export interface BaselinePersistence {
  load(): BaselineRow[];
  save(row: BaselineRow): void;
}

/** Hosts listed per tuple in the export; the count keeps going beyond it. */
export const MAX_HOSTS = 64;

/** The export's field names per relationship: event field → export name. */
const EXPORT_FIELDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'parent-child': { ParentImage: 'parent', Image: 'child' },
  'user-process': { User: 'user', Image: 'process' },
  'process-dll': { Image: 'process', ImageLoaded: 'dll' },
  'user-pipe': { User: 'user', PipeName: 'pipe' },
};

/** One relationship edge in the export. */
export interface BaselineEdge {
  readonly [field: string]: unknown;
  readonly hosts: readonly string[];
  readonly hostCount: number;
  readonly firstSeen: string;
  readonly firstHost: string;
}

/** The baseline as the anomaly-baseline view reads it (`GET /anomaly/baseline`). */
export interface BaselineExport {
  readonly version: 1;
  readonly relationships: Readonly<Record<'parent-child' | 'user-process' | 'process-dll' | 'user-pipe', readonly BaselineEdge[]>>;
  /** Tuples of `first-seen` anomalies, per policy. */
  readonly firstSeen: readonly { readonly policy: string; readonly values: Readonly<Record<string, string>>; readonly hostCount: number; readonly firstSeen: string }[];
}

const rowKey = (policy: string, values: Readonly<Record<string, string>>): string => JSON.stringify([policy, Object.keys(values).sort().map((k) => [k, values[k]])]);

/**
 * Tuples the collector keeps at most, in memory and in its state database. Reports are not
 * authenticated, so made-up tuples must not grow it without end. Once full, a new tuple is not
 * stored and counts as new for every host: its alert is kept, never suppressed.
 */
export const MAX_TUPLES = 200_000;

/** The global baseline. */
export class GlobalBaseline implements CollectorBaseline {
  private readonly rows = new Map<string, BaselineRow>();

  constructor(private readonly persistence?: BaselinePersistence, private readonly maxTuples = MAX_TUPLES) {
    for (const row of persistence?.load() ?? []) this.rows.set(rowKey(row.policy, row.values), row);
  }

  /**
   * Records a tuple a host saw for the first time; true when that host is the first to report
   * it. Asking again for the same host gives the same answer, so an agent may retry a report
   * (delivery is at-least-once) without its alert being dropped.
   */
  observe(policy: string, relationship: string, values: Readonly<Record<string, string>>, host: string, time: number): boolean {
    const k = rowKey(policy, values);
    const row = this.rows.get(k);
    if (row === undefined) {
      if (this.rows.size >= this.maxTuples) return true;
      const fresh: BaselineRow = { policy, relationship, values: { ...values }, firstHost: host, firstSeen: time, lastSeen: time, hosts: [host], count: 1 };
      this.rows.set(k, fresh);
      this.persistence?.save(fresh);
      return true;
    }
    const newHost = !row.hosts.includes(host);
    if (newHost && row.hosts.length < MAX_HOSTS) row.hosts.push(host);
    row.count++;
    row.lastSeen = Math.max(row.lastSeen, time);
    this.persistence?.save(row);
    return row.firstHost === host;
  }

  /** Number of tuples held. */
  get size(): number {
    return this.rows.size;
  }

  /** The baseline as JSON data, sorted, for the anomaly-baseline view. */
  export(): BaselineExport {
    const rel: Record<string, Map<string, BaselineEdge>> = { 'parent-child': new Map(), 'user-process': new Map(), 'process-dll': new Map(), 'user-pipe': new Map() };
    const firstSeen: BaselineExport['firstSeen'][number][] = [];
    const sorted = [...this.rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
    for (const r of sorted) {
      const names = EXPORT_FIELDS[r.relationship];
      if (!names) {
        firstSeen.push({ policy: r.policy, values: r.values, hostCount: r.hosts.length, firstSeen: new Date(r.firstSeen).toISOString() });
        continue;
      }
      const fields: Record<string, string> = {};
      for (const [from, to] of Object.entries(names)) fields[to] = r.values[from] ?? '';
      // Two policies may baseline the same relationship; the view wants each edge once.
      const edgeKey = JSON.stringify(Object.values(fields));
      const map = rel[r.relationship]!;
      const prev = map.get(edgeKey);
      const hosts = [...new Set([...(prev?.hosts ?? []), ...r.hosts])].sort().slice(0, MAX_HOSTS);
      const first = prev && Date.parse(prev.firstSeen) <= r.firstSeen ? prev : undefined;
      map.set(edgeKey, { ...fields, hosts, hostCount: hosts.length, firstSeen: first?.firstSeen ?? new Date(r.firstSeen).toISOString(), firstHost: first?.firstHost ?? r.firstHost });
    }
    const edges = (name: string) => [...rel[name]!.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
    return {
      version: 1,
      relationships: { 'parent-child': edges('parent-child'), 'user-process': edges('user-process'), 'process-dll': edges('process-dll'), 'user-pipe': edges('user-pipe') },
      firstSeen,
    };
  }
}

/** Largest `POST /anomaly/seen` body accepted. */
export const MAX_SEEN_BODY = 64 * 1024;

/** A validated `POST /anomaly/seen` body. */
export interface SeenReport {
  readonly policy: string;
  readonly relationship: string;
  readonly key: Readonly<Record<string, string>>;
  readonly host: string;
  readonly time: number;
}

/** Validates a `POST /anomaly/seen` body; a string says what is wrong. */
export function parseSeenReport(body: unknown): SeenReport | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object';
  const b = body as Record<string, unknown>;
  for (const f of ['policy', 'relationship', 'host'] as const) {
    if (typeof b[f] !== 'string' || (b[f] as string).length === 0 || (b[f] as string).length > 1024) return `\`${f}\` must be a non-empty string`;
  }
  // Within what a Date holds: the export writes it as ISO text, which would throw for ever after.
  if (typeof b.time !== 'number' || !Number.isFinite(b.time) || Math.abs(b.time) > MAX_DATE_MS) return '`time` must be epoch milliseconds';
  const key = b.key;
  if (typeof key !== 'object' || key === null || Array.isArray(key)) return '`key` must be an object of strings';
  const entries = Object.entries(key as Record<string, unknown>);
  if (entries.length === 0 || entries.length > 16 || entries.some(([, v]) => typeof v !== 'string' || v.length > 4096)) return '`key` must be an object of 1-16 strings';
  const values: Record<string, string> = {};
  for (const [k, v] of entries) if (k !== 'host') values[k] = v as string;
  return { policy: b.policy as string, relationship: b.relationship as string, key: values, host: b.host as string, time: b.time };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Serves the baseline over HTTP for `vigil serve`: `POST /anomaly/seen` records a report and
 * answers `{"new": true|false}`; `GET /anomaly/baseline` returns the export. Returns false when
 * the path is not one of these, so the caller can route the request elsewhere.
 */
export async function handleBaselineRequest(req: IncomingMessage, res: ServerResponse, baseline: GlobalBaseline): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/anomaly/baseline') {
    if (req.method !== 'GET' && req.method !== 'HEAD') send(res, 405, { error: 'use GET' });
    else send(res, 200, baseline.export());
    return true;
  }
  if (url.pathname !== '/anomaly/seen') return false;
  if (req.method !== 'POST') {
    send(res, 405, { error: 'use POST' });
    return true;
  }
  const text = await readBody(req, MAX_SEEN_BODY);
  if (text === undefined) {
    send(res, 413, { error: `body over ${MAX_SEEN_BODY} bytes` });
    return true;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    send(res, 400, { error: 'body is not JSON' });
    return true;
  }
  const report = parseSeenReport(body);
  if (typeof report === 'string') {
    send(res, 400, { error: report });
    return true;
  }
  const isNew = baseline.observe(report.policy, report.relationship, report.key, report.host, report.time);
  send(res, 200, { new: isNew });
  return true;
}
