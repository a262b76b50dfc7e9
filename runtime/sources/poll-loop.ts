/**
 * Runs a polled source (files, cloud logs) every interval until the agent stops it: one poll at a
 * time, a failed poll reported and retried at the next interval, never ending the loop.
 */
import { durationMs } from '../actions/duration.js';
import { sleep } from '../actions/retry.js';
import { problem, type ProblemSink } from './problems.js';

/** Anything read by polling. */
export interface Polled {
  poll(): Promise<number>;
  close?(): Promise<void>;
}

/** The poll interval of a LogSource (`pollInterval`, default 10 s for files, 5 min for cloud logs). */
export function pollIntervalMs(pollInterval: string | undefined, type: 'file' | 'jsonl' | 'azure-signin' | 'http'): number {
  return durationMs(pollInterval, type === 'azure-signin' ? 300_000 : 10_000);
}

/** Polls `src` every `intervalMs` until `signal` aborts, then closes it. */
export async function runPolling(origin: string, src: Polled, intervalMs: number, signal: AbortSignal, report: ProblemSink): Promise<void> {
  while (!signal.aborted) {
    try {
      await src.poll();
    } catch (error) {
      report(problem('VS1007', origin, { file: origin, detail: (error as Error).message }));
    }
    await sleep(intervalMs, signal);
  }
  await src.close?.();
}
