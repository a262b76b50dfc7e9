import type { Command, CommandSpec, LazyCommand } from './command.js';
import { checkSpec } from './commands/check-spec.js';
import { evalSpec } from './commands/eval-spec.js';
import { compileSpec } from './commands/compile-spec.js';
import { keygenSpec } from './commands/keygen-spec.js';
import { trustInitSpec, trustRotateSpec } from './commands/trust-init-spec.js';
import { signSpec } from './commands/sign-spec.js';
import { verifySpec } from './commands/verify-spec.js';
import { secretOpenSpec, secretSealSpec } from './commands/secret-seal-spec.js';
import { agentSpec } from './commands/agent-spec.js';
import { publishSpec } from './commands/publish-spec.js';
import { demoSpec } from './commands/demo-spec.js';
import { serveSpec } from './commands/serve-spec.js';
import { planSpec } from './commands/plan-spec.js';
import { diffSpec } from './commands/diff-spec.js';
import { historySpec } from './commands/history-spec.js';
import { baselineSpec } from './commands/baseline-spec.js';

/** A registry entry: the spec now, the implementation (and its dependencies) only when it runs. */
function lazy(spec: CommandSpec, load: () => Promise<Command>): LazyCommand {
  return { ...spec, load };
}

// Only the specs are imported statically: a command module pulls in the compiler, ajv, sqlite
// and more, and `vigil --help` or another command must not pay for it
// (tests/unit/cli/lazy-commands.test.ts keeps it so).
/** Every `vigil` command, in the order `vigil --help` lists them: author, build, trust, run, review. */
export const COMMANDS: readonly LazyCommand[] = [
  lazy(checkSpec, async () => (await import('./commands/check.js')).checkCommand),
  lazy(evalSpec, async () => (await import('./commands/eval.js')).evalCommand),
  lazy(compileSpec, async () => (await import('./commands/compile.js')).compileCommand),
  lazy(keygenSpec, async () => (await import('./commands/keygen.js')).keygenCommand),
  lazy(trustInitSpec, async () => (await import('./commands/trust-init.js')).trustInitCommand),
  lazy(trustRotateSpec, async () => (await import('./commands/trust-init.js')).trustRotateCommand),
  lazy(signSpec, async () => (await import('./commands/sign.js')).signCommand),
  lazy(verifySpec, async () => (await import('./commands/verify.js')).verifyCommand),
  lazy(secretSealSpec, async () => (await import('./commands/secret-seal.js')).secretSealCommand),
  lazy(secretOpenSpec, async () => (await import('./commands/secret-seal.js')).secretOpenCommand),
  lazy(serveSpec, async () => (await import('./commands/serve.js')).serveCommand),
  lazy(agentSpec, async () => (await import('./commands/agent.js')).agentCommand),
  lazy(publishSpec, async () => (await import('./commands/publish.js')).publishCommand),
  lazy(baselineSpec, async () => (await import('./commands/baseline.js')).baselineCommand),
  lazy(planSpec, async () => (await import('./commands/plan.js')).planCommand),
  lazy(diffSpec, async () => (await import('./commands/diff.js')).diffCommand),
  lazy(historySpec, async () => (await import('./commands/history.js')).historyCommand),
  lazy(demoSpec, async () => (await import('./commands/demo.js')).demoCommand),
];
