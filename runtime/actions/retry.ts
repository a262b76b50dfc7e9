/**
 * Retries with bounded exponential backoff: attempt n waits base·2ⁿ, capped, and a server's
 * `Retry-After` (seconds or an HTTP date) is honored up to the same cap, so a throttling API is
 * never hammered and a misbehaving one cannot stall a delivery for long.
 */

/** Backoff settings. */
export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** The default backoff: 250 ms doubling up to 30 s. */
export const DEFAULT_BACKOFF: Backoff = { baseMs: 250, maxMs: 30_000 };

/** Delay before retry number `attempt` (0-based). */
export function backoffMs(attempt: number, b: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(b.maxMs, b.baseMs * 2 ** Math.min(attempt, 30));
}

/** Milliseconds a `Retry-After` header asks for, or undefined. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A response status worth retrying: throttled, timed out or a server error. */
export function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Waits `ms`, or less when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    // The listener goes when the wait ends either way: a long-lived signal would gather one per wait.
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** An HTTP answer that failed a request, with what the server asked for. */
export class HttpStatusError extends Error {
  constructor(readonly status: number, readonly retryAfter: number | undefined, what: string) {
    super(`${what} answered HTTP ${status}`);
  }
}

/** Runs `fn` up to `retries + 1` times while it fails with a retryable status or a network error. */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, retries: number, b: Backoff = DEFAULT_BACKOFF, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const status = error instanceof HttpStatusError ? error.status : undefined;
      if (attempt >= retries || (status !== undefined && !retryable(status)) || signal?.aborted) throw error;
      const asked = error instanceof HttpStatusError ? error.retryAfter : undefined;
      await sleep(Math.min(b.maxMs, Math.max(asked ?? 0, backoffMs(attempt, b))), signal);
    }
  }
}
