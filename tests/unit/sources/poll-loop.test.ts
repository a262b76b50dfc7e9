import { describe, expect, it } from 'vitest';
import { pollIntervalMs, runPolling } from '../../../runtime/sources/poll-loop.js';
import type { Problem } from '../../../runtime/sources/problems.js';

describe('runPolling', () => {
  it('keeps polling after a failed poll, reports it, and closes the source when stopped', async () => {
    let polls = 0;
    let closed = false;
    const problems: Problem[] = [];
    const ac = new AbortController();
    const src = {
      poll: async () => {
        polls++;
        if (polls === 1) throw new Error('disk unplugged');
        if (polls === 3) ac.abort();
        return 0;
      },
      close: async () => void (closed = true),
    };
    await runPolling('dhcp', src, 5, ac.signal, (p) => void problems.push(p));
    expect(polls).toBe(3);
    expect(closed).toBe(true);
    expect(problems.map((p) => [p.code, p.origin])).toEqual([['VS1007', 'dhcp']]);
    expect(problems[0]!.message).toContain('disk unplugged');
  });

  it('leaves no listener on the signal per poll (the signal lives as long as the bundle)', async () => {
    const ac = new AbortController();
    let polls = 0;
    let listeners = 0;
    const add = ac.signal.addEventListener.bind(ac.signal);
    const remove = ac.signal.removeEventListener.bind(ac.signal);
    ac.signal.addEventListener = ((...args: Parameters<AbortSignal['addEventListener']>) => (listeners++, add(...args))) as AbortSignal['addEventListener'];
    ac.signal.removeEventListener = ((...args: Parameters<AbortSignal['removeEventListener']>) => (listeners--, remove(...args))) as AbortSignal['removeEventListener'];
    let most = 0;
    const src = {
      poll: async () => {
        most = Math.max(most, listeners);
        if (++polls === 50) ac.abort();
        return 0;
      },
    };
    await runPolling('files', src, 1, ac.signal, () => undefined);
    expect(polls).toBe(50);
    expect(most).toBe(0);
  });

  it('reads LogSource poll intervals with per-type defaults', () => {
    expect(pollIntervalMs('1m', 'file')).toBe(60_000);
    expect(pollIntervalMs(undefined, 'file')).toBe(10_000);
    expect(pollIntervalMs(undefined, 'azure-signin')).toBe(300_000);
  });
});
