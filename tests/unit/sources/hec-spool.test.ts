import { afterEach, describe, expect, it } from 'vitest';
import { HecSpool, type SpooledBatch } from '../../../runtime/sources/hec-spool.js';
import { tempState } from './hec-helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).reverse().forEach((c) => c()));

function setup() {
  const state = tempState();
  cleanups.push(state.cleanup);
  const store = state.open();
  const rows = () => store.db.prepare('SELECT count(*) FROM hec_spool').pluck().get() as number;
  return { state, store, rows };
}

describe('HecSpool', () => {
  it('commits before acknowledging (one row per turn), counts against capacity, and deletes processed rows shortly after', async () => {
    const { store, rows } = setup();
    const spool = new HecSpool(store, 5);
    await Promise.all([spool.accept('a', [{ n: 1 }, { n: 2 }]), spool.accept('b', [{ n: 3 }])]);
    expect(rows()).toBe(1);
    expect(spool.size).toBe(3);
    expect(spool.wouldOverflow(2)).toBe(false);
    expect(spool.wouldOverflow(3)).toBe(true);
    const taken: SpooledBatch[] = [];
    const ac = new AbortController();
    const pumping = spool.pump((b) => void taken.push(b), ac.signal);
    await spool.whenEmpty();
    expect(taken.map((b) => [b.source, b.events])).toEqual([['a', [{ n: 1 }, { n: 2 }]], ['b', [{ n: 3 }]]]);
    expect(spool.size).toBe(0);
    for (let i = 0; i < 50 && rows() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(rows()).toBe(0);
    ac.abort();
    await pumping;
    spool.close();
  });

  it('keeps a batch the sink failed on and hands it over again, in order', async () => {
    const { store } = setup();
    const spool = new HecSpool(store, 100);
    await spool.accept('a', [{ n: 1 }]);
    await spool.accept('a', [{ n: 2 }]);
    let fail = true;
    const seen: number[] = [];
    const ac = new AbortController();
    const pumping = spool.pump((b) => {
      const n = b.events[0]!.n as number;
      if (n === 2 && fail) {
        fail = false;
        throw new Error('sink busy');
      }
      seen.push(n);
    }, ac.signal);
    await spool.whenEmpty();
    expect(seen).toEqual([1, 2]);
    ac.abort();
    await pumping;
    spool.close();
  });

  it('reads batches spooled by an earlier process from the table', async () => {
    const { state, store } = setup();
    const first = new HecSpool(store, 100);
    await first.accept('a', [{ n: 1 }]);
    first.close();
    store.close();
    const again = new HecSpool(state.open(), 100);
    expect(again.size).toBe(1);
    const seen: unknown[] = [];
    const ac = new AbortController();
    const pumping = again.pump((b) => void seen.push(...b.events), ac.signal);
    await again.whenEmpty();
    expect(seen).toEqual([{ n: 1 }]);
    ac.abort();
    await pumping;
    again.close();
  });

  it('stores request bodies as posted and revives them after a restart, in order and by source', async () => {
    const { state, store } = setup();
    // The receiver's revive: here, one event per line, routed by the key.
    const revive = (key: string, body: string) => [{ source: key, events: body.split('\n').map((l) => ({ line: l })) }];
    const first = new HecSpool(store, 100, revive);
    await Promise.all([
      first.acceptBody('a', 'x\ny', 'a', 2),
      first.accept('b', [{ n: 1 }]),
      first.acceptBody('b', 'z', 'b', 1),
    ]);
    const stored = store.db.prepare('SELECT events FROM hec_spool').pluck().get() as string;
    expect(stored).toContain('x\ny');
    first.close();
    store.close();
    const again = new HecSpool(state.open(), 100, revive);
    expect(again.size).toBe(4);
    const seen: [string, unknown[]][] = [];
    const ac = new AbortController();
    const pumping = again.pump((b) => void seen.push([b.source, b.events]), ac.signal);
    await again.whenEmpty();
    expect(seen).toEqual([['a', [{ line: 'x' }, { line: 'y' }]], ['b', [{ n: 1 }, { line: 'z' }]]]);
    ac.abort();
    await pumping;
    again.close();
  });

  it('reads rows in the JSON array form of older agents', async () => {
    const { store } = setup();
    store.db.prepare('INSERT INTO hec_spool (source, count, events, received_at) VALUES (?, ?, ?, ?)').run('old', 2, '[{"n":1},{"n":2}]', 0);
    const spool = new HecSpool(store, 100);
    expect(spool.size).toBe(2);
    const seen: [string, unknown[]][] = [];
    const ac = new AbortController();
    const pumping = spool.pump((b) => void seen.push([b.source, b.events]), ac.signal);
    await spool.whenEmpty();
    expect(seen).toEqual([['old', [{ n: 1 }, { n: 2 }]]]);
    ac.abort();
    await pumping;
    spool.close();
  });
});
