import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { SourcedEvent } from '../../../runtime/sources/event-sink.js';
import { auth, fortinet, post, receiver, tempState, TOKEN } from './hec-helpers.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(extra: Parameters<typeof receiver>[1] = {}, sink?: Parameters<typeof receiver>[2]) {
  const state = tempState();
  const store = state.open();
  const r = await receiver(store, extra, sink);
  cleanups.push(state.cleanup, () => r.hec.close());
  return { ...r, store, state };
}

const envelope = (event: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ event, ...extra });

describe('HEC receiver: /services/collector/event', () => {
  it('accepts concatenated envelopes, applies field mappings and the format timestamp, and answers HEC success', async () => {
    const { hec, events } = await setup();
    const body = envelope({ srcip: '10.0.0.1', dstport: 445, eventtime: 1700000000000 }, { host: 'fw01', time: 1 }) + '\n' + envelope({ srcip: '10.0.0.2' }, { time: 1700000001 });
    const r = await post(`${hec.url}/services/collector/event`, body, auth());
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ text: 'Success', code: 0 });
    await hec.drained();
    expect(events).toEqual([
      { source: 'fortinet', logsource: { category: 'firewall' }, event: { src_ip: '10.0.0.1', dst_port: 445, eventtime: 1700000000000, host: 'fw01', '@timestamp': '2023-11-14T22:13:20.000Z' } },
      { source: 'fortinet', logsource: { category: 'firewall' }, event: { src_ip: '10.0.0.2', '@timestamp': '2023-11-14T22:13:21.000Z' } },
    ]);
  });

  it('keeps the events before a malformed one and names its index (HEC semantics)', async () => {
    const { hec, events } = await setup();
    const body = envelope({ n: 0 }) + envelope({ n: 1 }) + '{"event": {"n": 2}' + envelope({ n: 3 });
    const r = await post(`${hec.url}/services/collector/event`, body, auth());
    expect(r.status).toBe(400);
    expect(r.json()).toEqual({ text: 'Invalid data format', code: 6, 'invalid-event-number': 2 });
    await hec.drained();
    expect(events.map((e) => e.event.n)).toEqual([0, 1]);
  });

  it('delivers every acknowledged event, keeping one that cannot be decoded as its text (VS1013), never dropping the request', async () => {
    const { hec, events, problems } = await setup();
    // Valid JSON the receiver accepts, nested too deeply to turn into a message string.
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const body = [envelope('before', { source: 'paloalto' }), `{"event":${deep},"source":"paloalto"}`, envelope({ n: 2 })].join('\n');
    const r = await post(`${hec.url}/services/collector/event`, body, auth());
    expect(r.status).toBe(200);
    await hec.drained();
    expect(events.map((e) => e.event)).toEqual([{ message: 'before' }, { message: `{"event":${deep},"source":"paloalto"}` }, { n: 2 }]);
    expect(problems.map((p) => [p.code, p.message])).toEqual([['VS1013', 'event 1 of a request cannot be decoded (RangeError); kept as its envelope text in `message`']]);
  });

  it('answers missing event and blank event with HEC codes 12 and 13', async () => {
    const { hec } = await setup();
    expect((await post(`${hec.url}/services/collector/event`, envelope({ a: 1 }) + '{"host":"x"}', auth())).json()).toEqual({ text: 'Event field is required', code: 12, 'invalid-event-number': 1 });
    expect((await post(`${hec.url}/services/collector/event`, envelope(''), auth())).json()).toEqual({ text: 'Event field cannot be blank', code: 13, 'invalid-event-number': 0 });
  });

  it('routes by ?source= and by the envelope source, and decodes string events per the source format', async () => {
    const { hec, events } = await setup();
    const csv = '2024/01/02 03:04:05,10.1.1.1,22,deny';
    expect((await post(`${hec.url}/services/collector/event?source=paloalto`, envelope(csv), auth())).status).toBe(200);
    expect((await post(`${hec.url}/services/collector/event`, envelope(csv, { source: 'paloalto' }) + envelope('{"srcip":"10.2.2.2"}'), auth())).status).toBe(200);
    expect((await post(`${hec.url}/services/collector/event?source=nope`, envelope({ a: 1 }), auth())).json()).toEqual({ text: 'Incorrect index', code: 7 });
    await hec.drained();
    expect(events.map((e) => [e.source, e.event.src_ip])).toEqual([['paloalto', '10.1.1.1'], ['paloalto', '10.1.1.1'], ['fortinet', '10.2.2.2']]);
    expect(events[0]!.event).toEqual({ receive_time: '2024-01-02T03:04:05.000Z', src_ip: '10.1.1.1', dst_port: 22, action: 'deny', '@timestamp': '2024-01-02T03:04:05.000Z' });
  });

  it('answers no data for an empty body', async () => {
    const { hec } = await setup();
    expect((await post(`${hec.url}/services/collector/event`, '  \n', auth())).json()).toEqual({ text: 'No data', code: 5 });
  });
});

describe('HEC receiver: /services/collector/raw', () => {
  it('reads CSV lines per the LogFormat; ragged rows and broken quotes are reported, the rest kept', async () => {
    const { hec, events, problems } = await setup();
    const body = ['2024/01/02 03:04:05,10.0.0.1,443,allow', '2024/01/02 03:04:05,10.0.0.2', '2024/01/02 03:04:05,"10.0.0.3,1,deny', '2024/01/02 03:04:06,10.0.0.4,80,deny'].join('\n');
    const r = await post(`${hec.url}/services/collector/raw?source=paloalto`, body, auth());
    expect(r.json()).toEqual({ text: 'Success', code: 0 });
    await hec.drained();
    expect(events.map((e) => e.event.src_ip)).toEqual(['10.0.0.1', '10.0.0.4']);
    expect(problems.map((p) => [p.code, p.line])).toEqual([['VS1003', 2], ['VS1004', 3]]);
  });

  it('serves /services/collector/<source> as raw input for that LogSource, and JSON lines for a jsonl format', async () => {
    const { hec, events } = await setup();
    expect((await post(`${hec.url}/services/collector/paloalto`, '2024/01/02 03:04:05,10.9.9.9,1,allow\n', auth())).status).toBe(200);
    expect((await post(`${hec.url}/services/collector/raw/1.0`, '{"srcip":"10.8.8.8"}\n{"srcip":"10.7.7.7"}\n', auth())).status).toBe(200);
    expect((await post(`${hec.url}/services/collector/unknown`, 'x', auth())).status).toBe(404);
    expect((await post(`${hec.url}/services/collector/raw`, 'not json\n', auth())).json()).toEqual({ text: 'Invalid data format', code: 6, 'invalid-event-number': 0 });
    await hec.drained();
    expect(events.map((e) => e.event.src_ip)).toEqual(['10.9.9.9', '10.8.8.8', '10.7.7.7']);
  });
});

describe('HEC receiver: authentication and health', () => {
  it('requires `Authorization: Splunk <token>` and rejects wrong tokens with HEC codes', async () => {
    const { hec, events } = await setup();
    const url = `${hec.url}/services/collector/event`;
    expect(await post(url, envelope({ a: 1 })).then((r) => [r.status, r.json()])).toEqual([401, { text: 'Token is required', code: 2 }]);
    expect(await post(url, envelope({ a: 1 }), { Authorization: `Bearer ${TOKEN}` }).then((r) => [r.status, r.json()])).toEqual([401, { text: 'Invalid authorization', code: 3 }]);
    expect(await post(url, envelope({ a: 1 }), auth('wrong-token')).then((r) => [r.status, r.json()])).toEqual([403, { text: 'Invalid token', code: 4 }]);
    expect(await post(url, envelope({ a: 1 }), auth(TOKEN + 'x')).then((r) => r.status)).toBe(403);
    await hec.drained();
    expect(events).toEqual([]);
  });

  it('answers health without a token', async () => {
    const { hec } = await setup();
    const r = await post(`${hec.url}/services/collector/health`, '', {}, 'GET');
    expect([r.status, r.json()]).toEqual([200, { text: 'HEC is healthy', code: 17 }]);
  });

  it('speaks TLS when configured', async () => {
    const dir = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
    const cert = readFileSync(path.join(dir, 'receiver.crt'), 'utf8');
    const { hec, events } = await setup({ tls: { cert, key: readFileSync(path.join(dir, 'receiver.key'), 'utf8') } });
    expect(hec.url.startsWith('https://')).toBe(true);
    const r = await post(`${hec.url}/services/collector/event`, envelope({ srcip: '10.0.0.1' }), auth(), 'POST', cert);
    expect(r.status).toBe(200);
    await hec.drained();
    expect(events).toHaveLength(1);
  });
});

describe('HEC receiver: bad input and load', () => {
  it('refuses an oversized body with 413, by Content-Length and while streaming', async () => {
    const { hec, events } = await setup({ maxBodyBytes: 1000 });
    const big = envelope({ pad: 'x'.repeat(2000) });
    expect((await post(`${hec.url}/services/collector/event`, big, auth())).status).toBe(413);
    // Without Content-Length the limit is enforced while the body streams in.
    const chunked = await post(`${hec.url}/services/collector/event`, big, { ...auth(), 'Transfer-Encoding': 'chunked' }).catch((e: Error) => e);
    expect(chunked instanceof Error ? 'reset' : String(chunked.status)).toMatch(/^(413|reset)$/);
    await hec.drained();
    expect(events).toEqual([]);
  });

  it('accepts gzip bodies and stops a gzip bomb at the limit after decompression', async () => {
    const { hec, events } = await setup({ maxBodyBytes: 64 * 1024 });
    const ok = await post(`${hec.url}/services/collector/event`, gzipSync(envelope({ srcip: '10.0.0.1' })), { ...auth(), 'Content-Encoding': 'gzip' });
    expect(ok.status).toBe(200);
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 32));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const r = await post(`${hec.url}/services/collector/event`, bomb, { ...auth(), 'Content-Encoding': 'gzip' });
    expect([r.status, r.json()]).toEqual([413, { text: 'Content too large', code: 413 }]);
    expect((await post(`${hec.url}/services/collector/event`, 'not gzip', { ...auth(), 'Content-Encoding': 'br' })).status).toBe(415);
    await hec.drained();
    expect(events).toHaveLength(1);
  });

  it('times out a slow client that never finishes its body', async () => {
    const { hec } = await setup({ bodyTimeoutMs: 300 });
    const started = Date.now();
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(hec.port, '127.0.0.1', () => {
        socket.write(`POST /services/collector/event HTTP/1.1\r\nHost: x\r\nAuthorization: Splunk ${TOKEN}\r\nContent-Length: 1000\r\n\r\n{"event":`);
      });
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('floods until 503 with Retry-After; memory stays bounded and every acknowledged event is delivered', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const delivered: SourcedEvent[] = [];
    const { hec } = await setup({ queueSize: 200, maxConcurrentRequests: 16 }, async (b) => {
      await gate;
      delivered.push(...b);
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const accepted: number[] = [];
    let busy = 0;
    let retryAfter: string | undefined;
    let maxQueued = 0;
    for (let round = 0; round < 20 && busy === 0; round++) {
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) => {
          const n = round * 10 + i;
          const body = Array.from({ length: 10 }, (_, k) => envelope({ n, k, pad: 'y'.repeat(200) })).join('');
          return post(`${hec.url}/services/collector/event`, body, auth()).then((r) => ({ n, r }));
        }),
      );
      for (const { n, r } of replies) {
        if (r.status === 200) accepted.push(n);
        else if (r.status === 503) {
          busy++;
          retryAfter = r.headers['retry-after'] as string;
          expect(r.json()).toEqual({ text: 'Server is busy', code: 9 });
        } else throw new Error(`unexpected ${r.status}`);
      }
      maxQueued = Math.max(maxQueued, hec.queued());
    }
    expect(busy).toBeGreaterThan(0);
    expect(retryAfter).toBe('1');
    expect(maxQueued).toBeLessThanOrEqual(200);
    const health = await post(`${hec.url}/services/collector/health`, '', {}, 'GET');
    expect([health.status, health.json()]).toEqual([503, { text: 'HEC is unhealthy, queues are full', code: 18 }]);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    release();
    await hec.drained();
    const got = new Set(delivered.map((e) => e.event.n as number));
    expect([...got].sort((a, b) => a - b)).toEqual([...accepted].sort((a, b) => a - b));
    expect(delivered).toHaveLength(accepted.length * 10);
  });

  it('holds 503s back for a moment: a sender that ignores Retry-After cannot keep the receiver busy refusing it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { hec } = await setup({ queueSize: 1 }, () => gate);
    cleanups.push(() => release());
    expect((await post(`${hec.url}/services/collector/event`, envelope({ n: 0 }), auth())).status).toBe(200);
    // One kept-alive connection asking again as soon as it is refused: it is refused ten times a second at most.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const send = () =>
      new Promise<{ status: number; at: number; socket: unknown }>((resolve, reject) => {
        const req = httpRequest(`${hec.url}/services/collector/event`, { method: 'POST', agent, headers: auth() }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, at: performance.now(), socket: req.socket }));
        });
        req.on('error', reject);
        req.end(envelope({ n: 1 }));
      });
    const first = await send();
    const second = await send();
    expect([first.status, second.status]).toEqual([503, 503]);
    expect(second.socket).toBe(first.socket);
    expect(second.at - first.at).toBeGreaterThanOrEqual(90);
  });

  it('keeps acknowledged events across a restart: the spool is delivered by the next receiver', async () => {
    const state = tempState();
    cleanups.push(state.cleanup);
    const store = state.open();
    const stuck = await receiver(store, {}, () => new Promise<void>(() => undefined));
    const r = await post(`${stuck.hec.url}/services/collector/event`, envelope({ srcip: '10.0.0.1' }) + envelope({ srcip: '10.0.0.2' }), auth());
    expect(r.status).toBe(200);
    // Simulated crash: the sink never returned; close without processing.
    const closing = stuck.hec.close();
    store.close();
    void closing.catch(() => undefined);
    const next = await receiver(state.open());
    cleanups.push(() => next.hec.close());
    await next.hec.drained();
    expect(next.events.map((e) => e.event.src_ip)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(next.events[0]!.source).toBe(fortinet.metadata.name);
  });
});
