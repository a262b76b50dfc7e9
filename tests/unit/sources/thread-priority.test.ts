import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { lowerThreadPriority } from '../../../runtime/sources/thread-priority.js';

const moduleUrl = new URL('../../../runtime/sources/thread-priority.ts', import.meta.url).href;

/** Runs lowerThreadPriority(nice) in a new thread; resolves with what it returned and the thread's niceness after. */
function inThread(nice: number): Promise<{ lowered: boolean; after: number }> {
  const code = `import('tsx/esm/api').then(async (api) => {
    api.register();
    const { lowerThreadPriority } = await import(${JSON.stringify(moduleUrl)});
    const { getPriority } = await import('node:os');
    const lowered = lowerThreadPriority(${nice});
    require('node:worker_threads').parentPort.postMessage({ lowered, after: getPriority() });
  })`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true });
    worker.once('message', (m: { lowered: boolean; after: number }) => void worker.terminate().then(() => resolve(m)));
    worker.once('error', reject);
  });
}

describe('lowerThreadPriority', () => {
  it('lowers the calling thread only, on Linux', async () => {
    const before = getPriority();
    const result = await inThread(Math.min(19, before + 7));
    if (process.platform === 'linux') {
      expect(result).toEqual({ lowered: true, after: Math.min(19, before + 7) });
    } else {
      expect(result).toEqual({ lowered: false, after: before });
    }
    // The thread that started it keeps its priority.
    expect(getPriority()).toBe(before);
  });

  it('changes nothing on other systems, where the call would reach the whole process', () => {
    const before = getPriority();
    expect(lowerThreadPriority(19, 'win32')).toBe(false);
    expect(lowerThreadPriority(19, 'darwin')).toBe(false);
    expect(getPriority()).toBe(before);
  });

  it('never throws: a niceness the system refuses leaves the thread as it was', () => {
    const before = getPriority();
    expect(lowerThreadPriority(100, 'linux')).toBe(false);
    expect(getPriority()).toBe(before);
  });
});
