import { afterEach, describe, expect, it } from 'vitest';
import type { SourcedEvent } from '../../../runtime/sources/event-sink.js';
import { auth, post, receiver, tempState } from './hec-helpers.js';

/**
 * The receiver's thread split: the HTTP side in a worker, evaluation on the caller's thread.
 * A port in use is a rejected start (no thread left behind), and a sink that fails keeps its
 * row spooled until it succeeds, in order, across the threads.
 */

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('HEC receiver worker', () => {
  it('rejects the start when the port is taken', async () => {
    const state = tempState();
    cleanups.push(state.cleanup);
    const first = await receiver(state.open());
    cleanups.push(() => first.hec.close());
    await expect(receiver(state.open(), { port: first.hec.port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('offers a row again after the sink failed on it; rows behind it never overtake it', async () => {
    const state = tempState();
    cleanups.push(state.cleanup);
    const seen: number[] = [];
    let failures = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sink = async (batch: readonly SourcedEvent[]) => {
      const ns = batch.map((e) => e.event.n as number);
      if (ns.includes(0)) await gate; // hold the first row while the others are spooled behind it
      if (ns.includes(1) && failures++ === 0) throw new Error('busy');
      seen.push(...ns);
    };
    const { hec } = await receiver(state.open(), {}, sink);
    cleanups.push(() => hec.close());
    for (const n of [0, 1, 2, 3]) expect((await post(`${hec.url}/services/collector/event`, JSON.stringify({ event: { n } }), auth())).status).toBe(200);
    release();
    await hec.drained();
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(failures).toBe(2);
    expect(hec.queued()).toBe(0);
  });
});
