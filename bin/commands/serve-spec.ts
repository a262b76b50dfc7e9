import type { CommandSpec } from '../command.js';

/** `vigil serve`: what `vigil --help` and `vigil serve --help` print, loaded without the command. */
export const serveSpec: CommandSpec = {
  name: 'serve',
  summary: 'serve a signed repository to agents, stage it through rollout rings, collect their status',
  help: `Usage: vigil serve OUT [--port N] [--host ADDR] [--rollout FILE] [--cert FILE --key FILE] [--state DIR]

Serves the repository written by \`vigil compile\` (the TUF metadata and bundles) with strong ETags
(If-None-Match answers 304), takes agents' status reports on POST /status and shows the fleet's
state on GET /status: every host's group, ring, active bundle version and digest, activation
time, self-test result, errors, and whether it drifts from its ring's approved bundle.
  --port N         port to listen on (default 8443 with TLS, else 8080; 0 picks a free one)
  --host ADDR      address to listen on (default 127.0.0.1)
  --rollout FILE   a Rollout policy: a new bundle reaches the first (canary) ring at once and each
                   next ring only after the previous one ran it healthily for its soak time
  --cert, --key    PEM certificate and private key: serve HTTPS
  --state DIR      the collector's state directory: the global anomaly baseline that agents ask
                   before alerting on a first-seen value (POST /anomaly/seen; GET /anomaly/baseline
                   exports it) is kept there across restarts; without it the baseline is in memory
OUT is re-read whenever its timestamp.json changes. Stop with Ctrl-C.

Examples:
  vigil serve out
  vigil serve out --port 8443 --cert tls/server.pem --key tls/server.key --rollout policies/rollouts/staged.yaml
  vigil serve out --state /var/lib/vigil/collector`,
};
