import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { auth, post, receiver, tempState } from './hec-helpers.js';

/**
 * What a receiver finds when it starts: rows an older agent left in the `hec_spool` table go
 * first, and a spool segment torn by a power loss is reported while the good events in it are
 * still delivered.
 */

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('HEC receiver start', () => {
  it('delivers rows an older agent spooled in the state database first, then empties the table', async () => {
    const state = tempState();
    cleanups.push(state.cleanup);
    const store = state.open();
    const insert = store.db.prepare('INSERT INTO hec_spool (source, count, events, received_at) VALUES (?, ?, ?, ?)');
    insert.run('fortinet', 2, '[{"src_ip":"10.0.0.1"},{"src_ip":"10.0.0.2"}]', 0);
    const body = '{"event":{"srcip":"10.0.0.3"}}';
    insert.run('fortinet', 1, `\u0001v2\nb\te|0|fortinet\t${body.length}\n${body}`, 0);
    const { hec, events } = await receiver(store);
    cleanups.push(() => hec.close());
    expect((await post(`${hec.url}/services/collector/event`, '{"event":{"srcip":"10.0.0.4"}}', auth())).status).toBe(200);
    await hec.drained();
    expect(events.map((e) => [e.source, e.event.src_ip])).toEqual([['fortinet', '10.0.0.1'], ['fortinet', '10.0.0.2'], ['fortinet', '10.0.0.3'], ['fortinet', '10.0.0.4']]);
    expect(store.db.prepare('SELECT count(*) FROM hec_spool').pluck().get()).toBe(0);
  });

  it('reports and skips a spooled record that cannot be decoded (VS1012), and delivers the rest', async () => {
    const state = tempState();
    cleanups.push(state.cleanup);
    const store = state.open();
    const insert = store.db.prepare('INSERT INTO hec_spool (source, count, events, received_at) VALUES (?, ?, ?, ?)');
    insert.run('fortinet', 1, '[{"src_ip":', 0);
    insert.run('fortinet', 1, '[{"src_ip":"10.0.0.2"}]', 0);
    const { hec, events, problems } = await receiver(store);
    cleanups.push(() => hec.close());
    await hec.drained();
    expect(events.map((e) => e.event.src_ip)).toEqual(['10.0.0.2']);
    expect(problems.map((p) => [p.code, p.message])).toEqual([['VS1012', expect.stringMatching(/a record of 1 event\(s\) cannot be decoded \(SyntaxError\); skipped/)]]);
  });

  it('reports a torn spool tail and still delivers the acknowledged events before it', async () => {
    const state = tempState();
    cleanups.push(state.cleanup);
    const store = state.open();
    const stuck = await receiver(store, {}, () => new Promise<void>(() => undefined));
    for (const ip of ['10.0.0.1', '10.0.0.2']) expect((await post(`${stuck.hec.url}/services/collector/event`, JSON.stringify({ event: { srcip: ip } }), auth())).status).toBe(200);
    void stuck.hec.close();
    await new Promise((r) => setTimeout(r, 100));
    // A power loss in the middle of a third write: half a record at the end of the segment.
    const dir = path.join(state.dir, 'state', 'hec-spool');
    const segment = path.join(dir, readdirSync(dir).filter((f) => f.startsWith('seg-')).sort()[0]!);
    const bytes = readFileSync(segment);
    writeFileSync(segment, Buffer.concat([bytes, bytes.subarray(0, 30)]));
    const next = await receiver(state.open());
    cleanups.push(() => next.hec.close());
    await next.hec.drained();
    expect(next.events.map((e) => e.event.src_ip)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(next.problems.map((p) => [p.code, p.message])).toEqual([['VS1012', expect.stringMatching(/torn spool record/)]]);
    // Accepting goes on after the damage.
    expect((await post(`${next.hec.url}/services/collector/event`, '{"event":{"srcip":"10.0.0.3"}}', auth())).status).toBe(200);
    await next.hec.drained();
    expect(next.events.map((e) => e.event.src_ip)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  });
});
