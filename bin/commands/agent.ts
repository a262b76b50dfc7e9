import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { parseIdentity } from '../../runtime/bundle/seal.js';
import { isSafeSegment } from '../../runtime/bundle/layout.js';
import { startAgent, type Origin } from '../../runtime/agent.js';
import { httpOrigin } from '../../runtime/http-origin.js';
import { ociOrigin, parseOciRef } from '../../runtime/oci.js';
import { CollectorClient } from '../../runtime/collector/client.js';
import { EXIT, parseCommandArgs, UsageError, writeLine, type Command } from '../command.js';
import { untilSignal } from './serve.js';

/** Milliseconds of `500ms`, `30s`, `5m` or `1h`. */
export function parseInterval(text: string): number | undefined {
  const m = /^([1-9][0-9]{0,8})(ms|s|m|h)$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** `vigil agent`: pulls, verifies, self-tests and activates its group's bundle, and runs it. */
export const agentCommand: Command = {
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
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      server: { type: 'string' }, trust: { type: 'string' }, state: { type: 'string' }, group: { type: 'string' }, host: { type: 'string' },
      events: { type: 'string' }, key: { type: 'string' }, interval: { type: 'string' }, ca: { type: 'string' }, timeout: { type: 'string' },
      'receiver-port': { type: 'string' }, 'azure-endpoint': { type: 'string' },
    }, false);
    if (positionals.length > 0) throw new UsageError('vigil agent takes no positional arguments');
    for (const name of ['server', 'trust', 'state', 'group'] as const) if (!values[name]) throw new UsageError(`--${name} is required`);
    const group = values.group as string;
    const host = values.host ?? hostname().split('.')[0] ?? 'localhost';
    if (!isSafeSegment(group)) throw new UsageError('--group must be a group name (letters, digits, `.`, `_`, `-`)');
    if (!isSafeSegment(host)) throw new UsageError('--host must be a host name (letters, digits, `.`, `_`, `-`)');
    const interval = values.interval === undefined ? 30_000 : parseInterval(values.interval);
    if (interval === undefined) throw new UsageError('--interval must be a duration such as 500ms, 30s or 5m');
    const timeoutMs = values.timeout === undefined ? 15_000 : parseInterval(values.timeout);
    if (timeoutMs === undefined) throw new UsageError('--timeout must be a duration such as 5s');
    const receiverPort = values['receiver-port'] === undefined ? undefined : Number(values['receiver-port']);
    if (receiverPort !== undefined && (!/^[0-9]{1,5}$/.test(values['receiver-port']!) || receiverPort > 65_535)) throw new UsageError('--receiver-port must be a port number (0-65535)');
    const azureEndpoint = values['azure-endpoint'];
    if (azureEndpoint !== undefined && !/^https?:\/\//.test(azureEndpoint)) throw new UsageError('--azure-endpoint must be an http(s):// URL');
    // A silent server is given at most a third of the deadline, so a stall is noticed early.
    const limits = { timeoutMs, stallMs: Math.max(100, Math.min(5_000, Math.round(timeoutMs / 3))) };
    const server = values.server as string;
    let origin: Origin;
    // A `vigil serve` origin is also the collector: it keeps the fleet's anomaly baseline.
    let collector: CollectorClient | undefined;
    if (server.startsWith('oci://')) {
      const ref = parseOciRef(server.slice('oci://'.length));
      if (typeof ref === 'string') throw new UsageError(ref);
      origin = ociOrigin(ref, { limits });
    } else {
      if (!/^https?:\/\//.test(server)) throw new UsageError('--server must be an http(s):// or oci:// URL');
      let ca: Buffer | undefined;
      if (values.ca) {
        try {
          ca = await readFile(path.resolve(io.cwd, values.ca));
        } catch {
          writeLine(io.stderr, `error: cannot read CA certificate \`${values.ca}\``);
          return EXIT.failed;
        }
      }
      origin = httpOrigin({ base: server, host, group, limits, ...(ca ? { ca } : {}) });
      collector = new CollectorClient(server, host);
    }
    let trust: Uint8Array;
    try {
      trust = new Uint8Array(await readFile(path.resolve(io.cwd, values.trust as string)));
    } catch {
      writeLine(io.stderr, `error[VR1015]: trust root \`${values.trust}\` cannot be read`);
      return EXIT.failed;
    }
    let identity: string | undefined;
    if (values.key) {
      try {
        identity = parseIdentity(await readFile(path.resolve(io.cwd, values.key), 'utf8'));
      } catch {
        writeLine(io.stderr, `error: \`${values.key}\` is not a readable age identity file`);
        return EXIT.failed;
      }
    }
    let events: Readable | undefined;
    if (values.events === '-') events = process.stdin;
    else if (values.events) {
      events = createReadStream(path.resolve(io.cwd, values.events));
      events.on('error', (error) => writeLine(io.stderr, `agent: error: cannot read events \`${values.events}\`: ${error.message}`));
    }
    // A daemon's last line of defence: nothing that escapes (a closed stdout, a library bug) may end it.
    const guard = (error: unknown) => writeLine(io.stderr, `agent: error[VA2999]: ${error instanceof Error ? error.message : String(error)}`);
    process.on('uncaughtException', guard);
    process.on('unhandledRejection', guard);
    io.stdout.on('error', guard);
    const agent = startAgent({
      origin, trust, stateDir: path.resolve(io.cwd, values.state as string), group, host, pollIntervalMs: interval,
      ...(identity ? { identity } : {}), ...(events ? { events } : {}),
      ...(receiverPort !== undefined ? { receiverPort } : {}), ...(azureEndpoint ? { azureEndpoint } : {}), ...(collector ? { collector } : {}),
      alert: (line) => writeLine(io.stdout, line),
      log: (line) => writeLine(io.stderr, line),
    });
    writeLine(io.stderr, `agent: ${host} in group ${group}, pulling from ${server}`);
    await untilSignal();
    await agent.stop();
    process.off('uncaughtException', guard);
    process.off('unhandledRejection', guard);
    writeLine(io.stderr, 'agent: stopped');
    return EXIT.ok;
  },
};
