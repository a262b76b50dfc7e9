import type { CommandSpec } from '../command.js';

const HELP = `Usage: vigil check [DIR] [--ref REF] [--format pretty|json|sarif|github] [--pipeline NAME] [--cache DIR | --no-cache]

Validates a policy repository: reads every .yml/.yaml file under DIR (default: the
current directory; hidden folders and node_modules are skipped), parses it, validates
each document against its kind's JSON Schema, resolves references between documents,
compiles every Sigma rule, and runs the repository checks (duplicate names and rule ids,
plaintext secrets, ...). Every problem is reported with its file, line and column.

Options:
  --ref REF        check DIR as of a git ref (branch, tag, commit) instead of the working
                   tree; files are read from git's object store, the working tree is untouched
  --format FORMAT  pretty  code frames and a summary (default)
                   json    one diagnostic object per line (schema/diagnostic.schema.json)
                   sarif   a SARIF 2.1.0 log, for GitHub code scanning upload
                   github  GitHub Actions annotations (::error file=...,line=...::message)
  --pipeline NAME  Sigma logsource pipeline, as \`vigil compile\` uses it (default: windows;
                   \`none\` maps nothing)
  --cache DIR      cache of per-file results, so unchanged files are not parsed and compiled
                   again (default: $VIGIL_CACHE_DIR, else $XDG_CACHE_HOME/vigil or ~/.cache/vigil;
                   files with any diagnostic are never cached, so every problem is still reported)
  --no-cache       check everything from scratch
  -h, --help       show this help

Exit codes:
  0  no errors (warnings allowed)
  1  errors found
  2  usage error (unknown option or format, DIR or REF not found)

Examples:
  vigil check examples/msp
  vigil check --ref origin/main --format json
  vigil check policies --format sarif > vigil.sarif
  vigil check --format github            # in a GitHub Actions step`;

/** `vigil check`: what `vigil --help` and `vigil check --help` print, loaded without the command. */
export const checkSpec: CommandSpec = {
  name: 'check',
  summary: 'validate a policy repository and report problems with file, line and column',
  help: HELP,
};
