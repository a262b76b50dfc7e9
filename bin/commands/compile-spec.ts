import type { CommandSpec } from '../command.js';

const HELP = `Usage: vigil compile [DIR] [--ref REF | --watch] --out OUT [--key KEY...] [--trust TRUST] [options]

Compiles a policy repository into one bundle per host group and writes OUT, a signed TUF
repository (docs/bundle-format.md): each bundle holds the group's Sigma rules as IR, threat
scores, chains, anomalies, audit checks, dashboards, services, actions, log sources, sealed
credentials and self-test vectors, plus an in-toto provenance statement signed in a DSSE
envelope. The same commit always gives byte-identical files: times come from git, never from
the clock. Diagnostics are reported as by \`vigil check\`; nothing is written when there is an error.

Options:
  --out OUT             the repository to write (created; earlier versions continue from it)
  --ref REF             compile DIR as of a git ref instead of the working tree
  --key KEY             a signing key from \`vigil keygen\` (repeatable); it signs every role the root
                        gives it; roles left below their threshold are listed as pending
  --trust TRUST         the trust root (\`vigil trust init\`); may be left out when OUT already has it
  --pipeline NAME       Sigma logsource pipeline (default: windows; \`none\` maps nothing)
  --lifetime ROLE=DUR   metadata lifetime from the commit time: targets, snapshot or timestamp,
                        DUR like 90d, 12h (repeatable; defaults 90d, 30d, 7d)
  --format FORMAT       pretty (default) or json (diagnostics and one line per bundle)
  --cache DIR           cache of per-file results for fast rebuilds (default: $VIGIL_CACHE_DIR,
                        else $XDG_CACHE_HOME/vigil or ~/.cache/vigil); never inside OUT
  --no-cache            compile everything from scratch (the output is the same either way)
  -w, --watch           after the first build, build again whenever a file under DIR changes (OUT
                        and the cache excepted) until Ctrl-C; a failed build keeps watching. The
                        compiler stays loaded and warm, so a rebuild takes a fraction of a fresh run
  -h, --help            show this help

Exit codes: 0 written (signatures may be pending), 1 errors, 2 usage error. With --watch: 0 when
stopped by Ctrl-C or SIGTERM, 1 when DIR cannot be watched.

Examples:
  vigil compile examples/msp --out out --key keys/ci.key --trust trust/root.json
  vigil compile --ref origin/main --out out --key keys/ci.key --trust trust/root.json
  vigil compile examples/msp --out out --key keys/ci.key --trust trust/root.json --watch`;

/** `vigil compile`: what `vigil --help` and `vigil compile --help` print, loaded without the command. */
export const compileSpec: CommandSpec = {
  name: 'compile',
  summary: 'compile a policy repository into signed, reproducible per-group bundles',
  help: HELP,
};
