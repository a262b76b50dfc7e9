import type { CommandSpec } from '../command.js';

const HELP = `Usage: vigil plan [DIR] --base REF [--head REF] [--format md|json|github] [--baseline FILE]

Compiles the policy repository in DIR (default: the current directory) at two git refs and
reports, per host group, what changes: rules added, removed and modified (a diff of the
detection logic as the agent runs it, not of the YAML text), threat scores, chains,
anomalies, filters, audit checks, services, actions, credentials (names only, never values)
and package versions; how many hosts each change reaches, per rollout ring; and risk flags:
noisy rules, conditions that are always or never true, detections removed or disabled,
thresholds lowered sharply, rules without tests.

Options:
  --base REF        the ref to compare against (e.g. origin/main); required
  --head REF        the ref with the changes (default: the working tree of DIR)
  --format FORMAT   md      a Markdown pull-request comment (default)
                    json    the plan as one JSON document
                    github  GitHub Actions annotations for the risk flags
  --baseline FILE   JSON Lines sample events: added or modified rules matching more than
                    half of them are flagged noisy (default: DIR/events/*.jsonl, if present)
  --no-baseline     skip the noisy-rule check
  --pipeline NAME   Sigma logsource pipeline, as for \`vigil compile\` (default: windows;
                    \`none\` maps nothing)
  --cache DIR       the per-file results cache \`vigil compile\` uses (default: $VIGIL_CACHE_DIR,
                    else $XDG_CACHE_HOME/vigil or ~/.cache/vigil)
  --no-cache        compile everything from scratch (the plan is the same either way)
  -h, --help        show this help

Exit codes:
  0  plan printed (risk flags do not fail the command)
  1  a side does not compile (its errors are printed)
  2  usage error (unknown option, DIR or REF not found)

Examples:
  vigil plan --base origin/main > plan.md
  vigil plan examples/msp --base HEAD~1 --head HEAD --format json
  vigil plan --base "$BASE_SHA" --format github`;

/** `vigil plan`: what `vigil --help` and `vigil plan --help` print, loaded without the command. */
export const planSpec: CommandSpec = {
  name: 'plan',
  summary: 'show what a change does to each host group, with risk flags (pull-request comment)',
  help: HELP,
};
