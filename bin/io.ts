import type { Writable } from 'node:stream';

/** The terminal a command writes to: streams plus whether colour and progress are wanted. */
export interface Io {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Colour only on a TTY and never when NO_COLOR is set (https://no-color.org). */
  readonly color: boolean;
  /** Progress lines only on an interactive terminal, never in CI. */
  readonly progress: boolean;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** The Io of the current process. */
export function processIo(): Io {
  const env = process.env;
  const tty = Boolean(process.stderr.isTTY);
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    color: Boolean(process.stdout.isTTY) && !noColor && env.TERM !== 'dumb',
    progress: tty && !env.CI,
    cwd: process.cwd(),
    env,
  };
}
