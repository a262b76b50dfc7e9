import type { CommandSpec } from '../command.js';

const HELP = `Usage: vigil diff REF REF [--dir DIR] [--format md|json|github] [--baseline FILE]

The semantic diff of \`vigil plan\` between any two git refs: per host group, the rules
added, removed and modified (detection logic as the agent runs it), scores, chains,
anomalies, audit checks, services, actions, credentials (names only) and packages, with
the hosts and rollout rings each change reaches and the same risk flags.

Options:
  --dir DIR         the policy directory inside the repository (default: the current directory)
  --format FORMAT   md (default), json or github, as for \`vigil plan\`
  --baseline FILE   JSON Lines sample events for the noisy-rule flag (default: none)
  --pipeline NAME   Sigma logsource pipeline (default: windows; \`none\` maps nothing)
  --cache DIR, --no-cache
                    the per-file results cache, as for \`vigil compile\`
  -h, --help        show this help

Exit codes:
  0  diff printed
  1  a ref does not compile
  2  usage error (a ref or DIR not found)

Examples:
  vigil diff v1.2.0 v1.3.0
  vigil diff HEAD~5 HEAD --dir policies --format json`;

/** `vigil diff`: what `vigil --help` and `vigil diff --help` print, loaded without the command. */
export const diffSpec: CommandSpec = {
  name: 'diff',
  summary: 'semantic diff of what each host group runs between two git refs',
  help: HELP,
};
