import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Io } from './io.js';

/** Exit codes shared by every command (the CLI contract). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** What the CLI knows of a command without loading it: kept in bin/commands/NAME-spec.ts. */
export interface CommandSpec {
  readonly name: string;
  /** One line for `vigil --help`. */
  readonly summary: string;
  /** Full `vigil NAME --help` text: usage, options and at least one example. */
  readonly help: string;
}

/** One `vigil` subcommand: its spec and its implementation. */
export interface Command extends CommandSpec {
  run(argv: readonly string[], io: Io): Promise<number>;
}

/**
 * A command as the registry lists it: the spec at hand, the implementation imported only when
 * the command runs, so `vigil --help` and each command start without loading the others.
 */
export interface LazyCommand extends CommandSpec {
  load(): Promise<Command>;
}

/** A mistake in how the command was called (exit 2), as opposed to bad input (exit 1). */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses argv with node:util parseArgs, turning its errors into UsageError. */
export function parseCommandArgs<O extends Options>(argv: readonly string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: [...argv], options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Writes a line to a stream. */
export function writeLine(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(text + '\n');
}

/**
 * Reports an unexpected failure of a command: a bug in Vigil, not the user's input, said in one
 * line (the stack only with VIGIL_DEBUG). Returns the exit code.
 */
export function reportInternalError(io: Io, command: string, error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  writeLine(io.stderr, `error[VG9000]: internal error in \`vigil ${command}\`: ${message}`);
  if (io.env.VIGIL_DEBUG && error instanceof Error && error.stack) writeLine(io.stderr, error.stack);
  return EXIT.failed;
}
