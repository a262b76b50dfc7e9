import { performance } from 'node:perf_hooks';

/** The median of some numbers (the upper one of an even count). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** Runs fn `runs` times after `warmup` runs and returns the median wall time in milliseconds. */
export async function medianMs(fn: () => unknown, runs = 3, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * Median times of several functions measured in alternating rounds (a, b, a, b, ...), so a
 * machine that slows down or speeds up during the run weighs on each alike.
 */
export async function alternatingMedians(fns: readonly (() => unknown)[], rounds = 5, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const times = fns.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      times[i]!.push(performance.now() - t0);
    }
  }
  return times.map(median);
}

/** Resident set size of this process in MiB. */
export function rssMiB(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}

/** One measured figure: a name, a value with its unit, and optionally the goal it is held to. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** A human statement of the goal, e.g. `<= 2.0`. */
  readonly goal?: string;
  readonly pass?: boolean;
}

/** What one suite reports back to bench/run.ts (as one JSON line on stdout). */
export interface SuiteResult {
  readonly suite: string;
  readonly figures: readonly Figure[];
  readonly notes?: readonly string[];
}

/** Prints a suite's result as the one JSON line bench/run.ts reads. */
export function emit(result: SuiteResult): void {
  process.stdout.write(JSON.stringify(result) + '\n');
}

/** Progress text on stderr, only on an interactive terminal. */
export function progress(text: string): void {
  if (process.stderr.isTTY && !process.env.CI) process.stderr.write(`\r\x1b[2K${text}`);
}
