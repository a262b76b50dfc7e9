import type { CommandSpec } from '../command.js';

const HELP = `Usage: vigil baseline export --state DIR [--relationship NAME]

Prints the collector's global anomaly baseline (what \`GET /anomaly/baseline\` on \`vigil serve\`
returns) as one JSON document: the parent/child, user/process, process/DLL and user/pipe
relationships every host reported, with the hosts that saw each and when it was first seen,
plus the tuples of first-seen anomalies. See docs/threat-scoring.md.

Options:
  --state DIR            the collector's state directory (holding state.db)
  --relationship NAME    only one relationship: parent-child, user-process, process-dll, user-pipe

Exit codes: 0 printed, 1 the state cannot be read, 2 usage error.

Examples:
  vigil baseline export --state /var/lib/vigil/collector
  vigil baseline export --state ./state --relationship parent-child`;

/** `vigil baseline`: what `vigil --help` and `vigil baseline --help` print, loaded without the command. */
export const baselineSpec: CommandSpec = {
  name: 'baseline',
  summary: 'export the collector\'s anomaly baseline (parent/child, user/process, process/DLL, user/pipe) as JSON',
  help: HELP,
};
