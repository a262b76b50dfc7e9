import type { CommandSpec } from '../command.js';

/** `vigil agent`: what `vigil --help` and `vigil agent --help` print, loaded without the command. */
export const agentSpec: CommandSpec = {
  name: 'agent',
  summary: 'run the agent: pull and verify the group\'s bundle, activate it atomically, evaluate events',
  help: `Usage: vigil agent --server URL --trust TRUST --state DIR --group G [--host ID] [--events FILE|-]
                   [--key AGENT.key] [--interval 30s] [--timeout 15s] [--ca FILE]
                   [--receiver-port N] [--azure-endpoint URL]

Polls URL (a \`vigil serve\` server or any static HTTP(S) copy of OUT, or oci://HOST:PORT/REPO:TAG)
with ETags and exponential backoff with jitter; verifies through the TUF client against the pinned
TRUST (trusted metadata is kept in DIR, so rollback and freeze protection survive restarts);
re-validates and self-tests the bundle; activates it atomically, keeping the last-known-good; starts
the sources the bundle configures (file and JSON Lines logs, the HTTP receiver, Azure sign-in logs)
and its actions; runs the engine on their events and on --events, and sends alerts to the actions
(JSON Lines on stdout when the bundle has none). A swap stops the old sources and actions and starts
the new ones; read offsets, the receiver's spool and the alert outbox are in DIR, so nothing
acknowledged is lost. After a restart it resumes the active bundle from DIR without the server. A
refused or failing bundle, source or action never stops the agent: the failure is reported
(stderr, and POST /status on the server) and everything else keeps running.
  --host ID       this host's name (default: the machine's host name); rollout rings use it
  --events FILE   JSON Lines events to evaluate (\`-\` for stdin)
  --key FILE      the agent's age identity (\`vigil keygen --kind agent\`), to open sealed credentials
  --interval D    poll interval (default 30s; e.g. 500ms, 10s, 5m)
  --timeout D     deadline of one request (default 15s); a server silent for a third of it is dropped
  --ca FILE       extra CA certificate (PEM) for an HTTPS server with a private CA
  --receiver-port N    listen on port N instead of the receiver Service's port (0: any free
                       port); the bound URL is printed on stderr
  --azure-endpoint URL send Entra ID token and Graph requests to URL (a proxy or a test fake)
Stop with Ctrl-C (SIGINT) or SIGTERM.

Examples:
  vigil agent --server http://127.0.0.1:8080/ --trust trust/root.json --state /var/lib/vigil --group contoso-workstations
  tail -f events.jsonl | vigil agent --server oci://127.0.0.1:5000/vigil/policy:main --trust root.json --state st --group dc --events -`,
};
