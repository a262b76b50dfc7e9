import type { CommandSpec } from '../command.js';

const HELP = `Usage: vigil history [--rule ID | --group G [--at DATE]] [--dir DIR] [--format text|json]

The audit trail of a policy repository, from git: commit, author, date and message.

  --rule ID         every commit that added, changed, renamed, moved or removed the Sigma
                    rule with this id (found by id, so renames and moves are followed), with
                    the rule fields each commit changed
  --group G         every commit on the main line (first parents of --ref) that changed what
                    host group G runs: rules, scores, chains, anomalies, audit checks,
                    services, actions, credentials (names only), packages, hosts
  --group G --at DATE
                    what group G ran at DATE (ISO 8601: 2026-11-24 means the end of that day,
                    UTC; or 2026-11-24T09:30:00Z): the commit, its content digest, package
                    versions, rollout rings and every rule
  (no option)       every commit that changed the policy directory, with its files
  --dir DIR         the policy directory (default: the current directory)
  --ref REV         history up to this revision (default: HEAD)
  --format FORMAT   text (default) or json
  --pipeline NAME   Sigma logsource pipeline, as for \`vigil compile\` (default: windows)
  --cache DIR, --no-cache
                    the per-file results cache, as for \`vigil compile\`
  -h, --help        show this help

Exit codes: 0 printed, 1 the group or rule was not found, 2 usage error.

Examples:
  vigil history --rule 37616311-889e-4039-b6b8-6db75eae7fff
  vigil history --group contoso-workstations --dir policies
  vigil history --group contoso-workstations --at 2026-11-24 --format json`;

/** `vigil history`: what `vigil --help` and `vigil history --help` print, loaded without the command. */
export const historySpec: CommandSpec = {
  name: 'history',
  summary: 'audit trail from git: changes to a rule or group, and what a group ran at a date',
  help: HELP,
};
