import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GlobalBaseline, handleBaselineRequest } from '../../../runtime/collector/baseline.js';
import { CollectorClient } from '../../../runtime/collector/client.js';
import { createPolicyEngine, type PolicyAlert } from '../../../runtime/engine/policy-engine.js';
import type { AnomalyAlert } from '../../../runtime/engine/anomaly.js';
import type { AnomalyIR } from '../../../runtime/engine/policy-ir.js';
import { RULES, policies, proc } from './fixtures.js';

const pair: AnomalyIR = { type: 'anomaly', id: 'pc', relationship: 'parent-child', key: ['host', 'ParentImage', 'Image'], eventIds: [1], learningMs: 1000, suppressOnCollector: true };

let server: Server;
let url: string;
const baseline = new GlobalBaseline();
beforeAll(async () => {
  server = createServer((req, res) => void handleBaselineRequest(req, res, baseline));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** One agent: its own engine (own local baseline) reporting to the shared collector. */
async function agent(host: string, events: Record<string, unknown>[]): Promise<AnomalyAlert[]> {
  const client = new CollectorClient(url, host);
  const engine = createPolicyEngine(RULES, policies({ anomalies: [pair] }), { collector: client });
  const raised: AnomalyAlert[] = [];
  events.forEach((e, i) => engine.process(e, i, (a: PolicyAlert) => void (a.kind === 'anomaly' && raised.push(a))));
  const kept: AnomalyAlert[] = [];
  for (const a of raised) if (await client.isNew(a)) kept.push(a);
  return kept;
}

describe('agents and the collector over HTTP on 127.0.0.1', () => {
  test('a pair host A reported first does not alert on host B; learned pairs are known fleet-wide', async () => {
    expect((await agent('A', [proc('calc', 'A', 0), proc('evil', 'A', 5000)])).map((a) => a.key.Image)).toEqual(['C:\\Windows\\System32\\evil.exe']);
    expect(await agent('B', [proc('notepad', 'B', 0), proc('evil', 'B', 5000), proc('calc', 'B', 6000)])).toEqual([]);
    expect(baseline.export().relationships['parent-child'].map((e) => [e.child, e.hosts])).toEqual([
      ['C:\\Windows\\System32\\calc.exe', ['A', 'B']],
      ['C:\\Windows\\System32\\evil.exe', ['A', 'B']],
      ['C:\\Windows\\System32\\notepad.exe', ['B']],
    ]);
  });

  test('when the collector cannot be reached the alert is kept', async () => {
    const client = new CollectorClient('http://127.0.0.1:9', 'C');
    const alert = { kind: 'anomaly', policy: pair, key: { host: 'C', Image: 'x' }, event: 0, time: 0 } as AnomalyAlert;
    expect(await client.isNew(alert)).toBe(true);
  });

  test('reports to an HTTPS collector with a private CA (the agent\'s --ca), under the server\'s path prefix', async () => {
    const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), '../sources/fixtures');
    const cert = readFileSync(path.join(fixtures, 'receiver.crt'));
    const paths: string[] = [];
    const tls = createHttpsServer({ cert, key: readFileSync(path.join(fixtures, 'receiver.key')) }, (req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"new":false}');
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    try {
      const base = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/vigil`;
      const alert = { kind: 'anomaly', policy: pair, key: { host: 'D', Image: 'x' }, event: 0, time: 0 } as AnomalyAlert;
      // Without the CA the certificate is refused, so the alert is kept (true); with it the collector answers.
      expect(await new CollectorClient(base, 'D').isNew(alert)).toBe(true);
      expect(await new CollectorClient(base, 'D', { ca: cert }).isNew(alert)).toBe(false);
      expect(paths).toEqual(['/vigil/anomaly/seen']);
    } finally {
      await new Promise<void>((r) => tls.close(() => r()));
    }
  });
});
