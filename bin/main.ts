import type { Io } from './io.js';
import { EXIT, reportInternalError, UsageError, writeLine, type LazyCommand } from './command.js';
import { COMMANDS } from './registry.js';

const VERSION = '0.1.0';

/** The top-level help: every command with its one-line summary. */
function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'vigil: policy-as-code for endpoint security monitoring',
    '',
    'Usage: vigil <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `vigil <command> --help` for a command\'s options and examples.',
    '',
    'Example:',
    '  vigil check examples/msp',
  ].join('\n');
}

/** Finds a command by name, joining two-word commands such as `trust init` and `logs verify`. */
function findCommand(argv: readonly string[]): { command: LazyCommand; rest: readonly string[] } | undefined {
  const two = argv.length > 1 ? `${argv[0]} ${argv[1]}` : '';
  const byTwo = COMMANDS.find((c) => c.name === two);
  if (byTwo) return { command: byTwo, rest: argv.slice(2) };
  const byOne = COMMANDS.find((c) => c.name === argv[0]);
  return byOne ? { command: byOne, rest: argv.slice(1) } : undefined;
}

/** Runs the CLI and returns its exit code; bad input never surfaces as a stack trace. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    writeLine(first === undefined ? io.stderr : io.stdout, topHelp());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === '-V') {
    writeLine(io.stdout, VERSION);
    return EXIT.ok;
  }
  const found = findCommand(argv);
  if (!found) {
    writeLine(io.stderr, `error: unknown command \`${first}\`\n\n${topHelp()}`);
    return EXIT.usage;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    writeLine(io.stdout, command.help);
    return EXIT.ok;
  }
  try {
    // Only now is the command's module imported: help and the other commands never load it.
    const loaded = await command.load();
    return await loaded.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      writeLine(io.stderr, `error: ${error.message}\n\nRun \`vigil ${command.name} --help\` for usage.`);
      return EXIT.usage;
    }
    return reportInternalError(io, command.name, error);
  }
}


