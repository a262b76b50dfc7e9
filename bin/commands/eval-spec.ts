import type { CommandSpec } from '../command.js';

const EVAL_REPO_HELP = `Policy repositories:
  When --rules names one directory holding a vigil/v1 Filter, ThreatScore, Chain, Anomaly or
  Package, the whole repository is checked and runs: Sigma rules, Filters, ThreatScores, Chains
  and Anomalies, on event time (see docs/threat-scoring.md). --pipeline and --time-field apply.
  --group NAME           run only what host group NAME receives
  --tolerance DURATION   how late (event time) an event may arrive and still count (default 60s)
  --state DIR            keep scores, chains and baselines in DIR/state.db across runs
  Extra output lines:
  {"type":"threat-score","kind":"threat-score","rule":NAME,"key":{...},"score":N,"events":[N,...],...}
  {"type":"chain","kind":"chain","rule":NAME,"key":{...},"events":[N,...],...}
  {"type":"anomaly","kind":"anomaly","rule":NAME,"key":{...},"event":N,"events":[N],...}`;

const HELP = `Usage: vigil eval --rules PATH... --events FILE|- [--pipeline NAME] [options]

Evaluates Sigma rules (detection, correlation and filter rules) against events and prints one
JSON object per line and per match on stdout.

Options:
  --rules PATH...        rule files or directories (searched for .yml/.yaml); repeatable
  --events FILE|-        events as JSON Lines, a JSON array, or concatenated JSON objects; - reads stdin
  --pipeline NAME        logsource pipeline (policies/pipelines/NAME.yml) or a pipeline file path
  --time-field FIELD     field holding the event time for correlations (repeatable; default:
                         @timestamp, timestamp, Event.System.TimeCreated.#attributes.SystemTime, ...)
  --placeholder NAME=V   a value for |expand placeholder %NAME% (repeatable)
  --map RULE=EVENT       read the rule field RULE from the event field EVENT (repeatable; on top of the pipeline)
  --stats                print event, match and rules-tested-per-event counts on stderr

Output lines:
  {"type":"detection","rule":ID,"title":...,"level":...,"event":N,"attribution":{...}}
  {"type":"correlation","rule":ID,"title":...,"correlation":TYPE,"group":{...},"events":[N,...],"value":X,...}
\`event\` is the 0-based index of the event in the input. Exit 0 whether or not anything
matched; 1 when a rule is invalid (diagnostics on stderr); 2 on a usage error.

Examples:
  vigil eval --rules rules/ --events events.jsonl --pipeline windows
  cat events.json | vigil eval --rules proc_creation_win_whoami.yml --events -`;

/** `vigil eval`: what `vigil --help` and `vigil eval --help` print, loaded without the command. */
export const evalSpec: CommandSpec = {
  name: 'eval',
  summary: 'evaluate Sigma rules against events (JSON Lines out)',
  help: `${HELP}\n\n${EVAL_REPO_HELP}`,
};
