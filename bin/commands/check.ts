import { EXIT, type Command } from '../command.js';

/** `vigil check`: placeholder until the pipeline lands in this session. */
export const checkCommand: Command = {
  name: 'check',
  summary: 'validate a policy repository',
  help: 'Usage: vigil check [DIR]',
  async run() {
    return EXIT.usage;
  },
};
