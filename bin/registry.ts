import type { Command } from './command.js';
import { checkCommand } from './commands/check.js';

/** Every `vigil` command, in the order `vigil --help` lists them. */
export const COMMANDS: readonly Command[] = [checkCommand];
