import type { Command } from './command.js';
import { checkCommand } from './commands/check.js';
import { compileCommand } from './commands/compile.js';
import { evalCommand } from './commands/eval.js';
import { keygenCommand } from './commands/keygen.js';
import { trustInitCommand, trustRotateCommand } from './commands/trust-init.js';
import { signCommand } from './commands/sign.js';
import { verifyCommand } from './commands/verify.js';
import { secretOpenCommand, secretSealCommand } from './commands/secret-seal.js';
import { agentCommand } from './commands/agent.js';
import { publishCommand } from './commands/publish.js';
import { demoCommand } from './commands/demo.js';
import { serveCommand } from './commands/serve.js';
import { planCommand } from './commands/plan.js';
import { diffCommand } from './commands/diff.js';
import { historyCommand } from './commands/history.js';
import { baselineCommand } from './commands/baseline.js';

/** Every `vigil` command, in the order `vigil --help` lists them: author, build, trust, run, review. */
export const COMMANDS: readonly Command[] = [
  checkCommand,
  evalCommand,
  compileCommand,
  keygenCommand,
  trustInitCommand,
  trustRotateCommand,
  signCommand,
  verifyCommand,
  secretSealCommand,
  secretOpenCommand,
  serveCommand,
  agentCommand,
  publishCommand,
  baselineCommand,
  planCommand,
  diffCommand,
  historyCommand,
  demoCommand,
];
