import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CLI, REPO_ROOT } from './cli.js';

/**
 * A long-running `vigil` child process (serve, agent) whose output is collected line by line,
 * so a test can wait for a line, kill it with any signal, and read everything it printed.
 */
export class VigilProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcessWithoutNullStreams;
  private waiters: (() => void)[] = [];
  private partial = { stdout: '', stderr: '' };

  constructor(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}) {
    // VIGIL_TEST_CLI lets a developer point the tests at a private build while others rebuild dist/.
    this.child = spawn(process.execPath, [process.env.VIGIL_TEST_CLI ?? CLI, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      // Hermetic by default: no per-user compile cache unless a test asks for one with --cache.
      env: { ...process.env, NO_COLOR: '1', CI: '1', VIGIL_CACHE: 'off', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      this.child[stream].on('data', (d: Buffer) => {
        const text = this.partial[stream] + d.toString();
        const lines = text.split('\n');
        this.partial[stream] = lines.pop() ?? '';
        this[stream].push(...lines);
        this.notify();
      });
    }
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      for (const stream of ['stdout', 'stderr'] as const) if (this.partial[stream] !== '') this[stream].push(this.partial[stream]);
      this.notify();
      resolve({ code, signal });
    }));
    if (opts.input !== undefined) this.child.stdin.end(opts.input);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until a line of stdout or stderr matches; throws with the output so far on timeout. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000, stream: 'stdout' | 'stderr' | 'any' = 'any'): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pool = stream === 'any' ? [...this.stdout, ...this.stderr] : this[stream];
      const hit = pool.find((l) => pattern.test(l));
      if (hit !== undefined) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}\n--- stdout\n${this.stdout.join('\n')}\n--- stderr\n${this.stderr.join('\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Writes a line to the process's stdin (an event for `--events -`). */
  write(line: string): void {
    this.child.stdin.write(line + '\n');
  }

  /** Counts lines matching a pattern. */
  count(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout'): number {
    return this[stream].filter((l) => pattern.test(l)).length;
  }

  /** Sends a signal and waits for the exit (SIGKILL after `graceMs` if it lingers). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

/** Starts `vigil serve` on a free port and returns it with its base URL. */
export async function startServe(out: string, extra: readonly string[] = []): Promise<{ proc: VigilProcess; url: string }> {
  const proc = new VigilProcess(['serve', out, '--port', '0', ...extra]);
  const line = await proc.waitFor(/listening on /, 15_000, 'stdout');
  const url = /listening on (\S+)/.exec(line)?.[1] as string;
  return { proc, url };
}
