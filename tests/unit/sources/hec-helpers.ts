import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LogFormat } from '../../../schema/generated/log-format.js';
import type { LogSource } from '../../../schema/generated/log-source.js';
import type { SourcedEvent } from '../../../runtime/sources/event-sink.js';
import { startHecReceiver, type HecConfig, type HecReceiver } from '../../../runtime/sources/hec.js';
import type { Problem } from '../../../runtime/sources/problems.js';
import { openStore, type Store } from '../../../runtime/state/store.js';

/** The token test senders use. */
export const TOKEN = 'b7d0c2a4-0f3e-4d5c-9a1b-2c3d4e5f6a7b';

/** A JSON firewall source with field mappings, and a CSV one. */
export const fortinet: LogSource = { apiVersion: 'vigil/v1', kind: 'LogSource', metadata: { name: 'fortinet' }, spec: { type: 'http', format: 'forti-json', logsource: { category: 'firewall' }, fieldMappings: { srcip: 'src_ip', dstport: 'dst_port' } } };
export const fortiFormat: LogFormat = { apiVersion: 'vigil/v1', kind: 'LogFormat', metadata: { name: 'forti-json' }, spec: { type: 'jsonl', timestamp: { field: 'eventtime', format: 'epoch-ms' } } };
export const paloalto: LogSource = { apiVersion: 'vigil/v1', kind: 'LogSource', metadata: { name: 'paloalto' }, spec: { type: 'http', format: 'pan-csv', fieldMappings: { src: 'src_ip' } } };
export const panFormat: LogFormat = { apiVersion: 'vigil/v1', kind: 'LogFormat', metadata: { name: 'pan-csv' }, spec: { type: 'csv', columns: [{ name: 'receive_time', type: 'timestamp', format: 'yyyy/MM/dd HH:mm:ss' }, { name: 'src', type: 'ip' }, { name: 'dst_port', type: 'int' }, { name: 'action' }], timestamp: { field: 'receive_time', format: 'yyyy/MM/dd HH:mm:ss' } } };

/** A temp state directory, removed by `cleanup`. */
export function tempState(): { dir: string; open: () => Store; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-hec-'));
  const stores: Store[] = [];
  return {
    dir,
    open: () => {
      const s = openStore(path.join(dir, 'state'));
      stores.push(s);
      return s;
    },
    cleanup: () => {
      for (const s of stores) if (s.db.open) s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a receiver on 127.0.0.1:0 collecting what reaches the sink. */
export async function receiver(store: Store, extra: Partial<HecConfig> = {}, sink?: (b: readonly SourcedEvent[]) => void | Promise<void>) {
  const events: SourcedEvent[] = [];
  const problems: Problem[] = [];
  const hec: HecReceiver = await startHecReceiver(
    { port: 0, tokens: [TOKEN], sources: [{ source: fortinet, format: fortiFormat }, { source: paloalto, format: panFormat }], ...extra },
    sink ?? ((b) => void events.push(...b)),
    store,
    (p) => void problems.push(p),
  );
  return { hec, events, problems };
}

/** One HTTP response. */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  json(): Record<string, unknown>;
}

/** Sends one request with node:http(s) (no pooling, so each test controls its own connections). */
export function post(url: string, body: string | Buffer, headers: Record<string, string> = {}, method = 'POST', ca?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method, headers: { ...(headers['Transfer-Encoding'] ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }), ...headers }, agent: false, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The Authorization header of a HEC sender. */
export const auth = (token = TOKEN) => ({ Authorization: `Splunk ${token}` });
