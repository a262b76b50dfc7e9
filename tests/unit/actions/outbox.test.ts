import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertRecord, Deliver } from '../../../runtime/actions/alert-record.js';
import { Outbox } from '../../../runtime/actions/deliver.js';
import { actionFilter } from '../../../runtime/actions/filter.js';
import type { Problem } from '../../../runtime/sources/problems.js';
import { openStore } from '../../../runtime/state/store.js';
import { tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).reverse().forEach((c) => c()));

function stateDir() {
  const t = tempDir('vigil-outbox-');
  cleanups.push(t.cleanup);
  return path.join(t.dir, 'state');
}

const alert = (n: number, level = 'high'): AlertRecord => ({ rule: `r${n}`, level, host: 'ws1' });

describe('Outbox', () => {
  it('removes an alert only once delivered, retries failures after a backoff, and survives a restart', async () => {
    const dir = stateDir();
    const store = openStore(dir);
    let up = false;
    const got: AlertRecord[] = [];
    const deliver: Deliver = async (a) => {
      if (!up) throw new Error('endpoint down');
      got.push(a);
    };
    const problems: Problem[] = [];
    const outbox = new Outbox(store, new Map([['hook', deliver]]), { backoff: { baseMs: 50, maxMs: 50 }, report: (p) => void problems.push(p) });
    outbox.enqueue('hook', alert(1));
    outbox.enqueue('hook', alert(2));
    // An action that failed one alert leaves the rest for its next pass (its endpoint is likely down).
    expect(await outbox.runOnce()).toEqual({ delivered: 0, failed: 1 });
    expect(await outbox.runOnce()).toEqual({ delivered: 0, failed: 1 });
    expect(outbox.size()).toBe(2);
    expect(problems.map((p) => p.code)).toEqual(['VS2001', 'VS2001']);
    expect(problems[0]!.message).toContain('endpoint down');
    store.close();

    const reopened = openStore(dir);
    cleanups.push(() => reopened.close());
    const attempts = reopened.db.prepare('SELECT attempts FROM outbox ORDER BY id').pluck().all();
    expect(attempts).toEqual([1, 1]);
    up = true;
    const again = new Outbox(reopened, new Map([['hook', deliver]]), { backoff: { baseMs: 1, maxMs: 5 } });
    await new Promise((r) => setTimeout(r, 60));
    expect(await again.runOnce()).toEqual({ delivered: 2, failed: 0 });
    expect(got.map((a) => a.rule)).toEqual(['r1', 'r2']);
    expect(again.size()).toBe(0);
  });

  it('is bounded: the oldest alert is dropped and reported when full', async () => {
    const store = openStore(stateDir());
    cleanups.push(() => store.close());
    const problems: Problem[] = [];
    const outbox = new Outbox(store, new Map(), { maxItems: 3, report: (p) => void problems.push(p) });
    for (let i = 1; i <= 5; i++) outbox.enqueue('hook', alert(i));
    expect(outbox.size()).toBe(3);
    expect(store.db.prepare('SELECT payload FROM outbox ORDER BY id').pluck().all().map((p) => JSON.parse(p as string).rule)).toEqual(['r3', 'r4', 'r5']);
    expect(problems.map((p) => p.code)).toEqual(['VS2002', 'VS2002']);
  });

  it('keeps alerts of an unknown action and delivers as soon as run() is woken', async () => {
    const store = openStore(stateDir());
    cleanups.push(() => store.close());
    const got: string[] = [];
    const outbox = new Outbox(store, new Map([['a', async (x: AlertRecord) => void got.push(x.rule)]]));
    outbox.enqueue('missing', alert(0));
    const ac = new AbortController();
    const running = outbox.run(ac.signal);
    outbox.enqueue('a', alert(1));
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await running;
    expect(got).toEqual(['r1']);
    expect(outbox.size()).toBe(1);
  });
});

describe('Outbox delivery loop', () => {
  it('reports a state database error (VS2004) and keeps delivering', async () => {
    const store = openStore(stateDir());
    cleanups.push(() => store.close());
    const got: string[] = [];
    const problems: Problem[] = [];
    const outbox = new Outbox(store, new Map([['a', async (x: AlertRecord) => void got.push(x.rule)]]), { backoff: { baseMs: 5, maxMs: 5 }, report: (p) => void problems.push(p) });
    // The database refuses one write (locked past its timeout, a full disk).
    const stmts = (outbox as unknown as { stmts: { remove: { run: (id: number) => unknown } } }).stmts;
    const remove = stmts.remove.run.bind(stmts.remove);
    let refused = false;
    stmts.remove.run = (id: number) => {
      if (!refused) {
        refused = true;
        throw new Error('database is locked');
      }
      return remove(id);
    };
    outbox.enqueue('a', alert(1));
    const ac = new AbortController();
    const running = outbox.run(ac.signal);
    outbox.enqueue('a', alert(2));
    for (let i = 0; i < 200 && outbox.size() > 0; i++) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await running;
    expect(problems.map((p) => [p.code, p.message])).toEqual([['VS2004', 'the alert outbox cannot be read or written (database is locked); trying again']]);
    expect(outbox.size()).toBe(0);
    // At least once: the alert whose removal failed was delivered again.
    expect(got).toEqual(['r1', 'r1', 'r2']);
  });

  it('leaves no listener on its signal per wait, however many alerts wake it', async () => {
    const store = openStore(stateDir());
    cleanups.push(() => store.close());
    const outbox = new Outbox(store, new Map([['a', async () => undefined]]));
    const ac = new AbortController();
    let listeners = 0;
    const add = ac.signal.addEventListener.bind(ac.signal);
    const remove = ac.signal.removeEventListener.bind(ac.signal);
    ac.signal.addEventListener = ((...args: Parameters<AbortSignal['addEventListener']>) => (listeners++, add(...args))) as AbortSignal['addEventListener'];
    ac.signal.removeEventListener = ((...args: Parameters<AbortSignal['removeEventListener']>) => (listeners--, remove(...args))) as AbortSignal['removeEventListener'];
    const running = outbox.run(ac.signal);
    for (let i = 0; i < 200; i++) {
      outbox.enqueue('a', alert(i));
      await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < 200 && outbox.size() > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(listeners).toBeLessThanOrEqual(1);
    ac.abort();
    await running;
  });

  it('starts no delivery once stopped, and the runner\'s close waits for the one in flight', async () => {
    const store = openStore(stateDir());
    cleanups.push(() => store.close());
    let inFlight = 0;
    let started = 0;
    const slow: Deliver = async () => {
      started++;
      inFlight++;
      await new Promise((r) => setTimeout(r, 100));
      inFlight--;
    };
    const outbox = new Outbox(store, new Map([['a', slow]]));
    for (let i = 0; i < 5; i++) outbox.enqueue('a', alert(i));
    const ac = new AbortController();
    const pass = outbox.runOnce(500, ac.signal);
    await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await pass;
    expect([started, inFlight, outbox.size()]).toEqual([1, 0, 4]);
  });
});

describe('actionFilter', () => {
  it('applies minLevel and throttles per rule and host', () => {
    const f = actionFilter({ type: 'email', minLevel: 'high', throttle: '10m' });
    expect(f(alert(1, 'medium'), 0)).toBe(false);
    expect(f(alert(1, 'high'), 0)).toBe(true);
    expect(f(alert(1, 'critical'), 60_000)).toBe(false);
    expect(f({ ...alert(1), host: 'ws2' }, 60_000)).toBe(true);
    expect(f(alert(1, 'high'), 600_000)).toBe(true);
    expect(actionFilter({ type: 'alert' })({ rule: 'x' })).toBe(true);
  });
});
