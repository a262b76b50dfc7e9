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
import { untilSignal } from '../signals.js';
import { agentSpec } from './agent-spec.js';

/** Milliseconds of `500ms`, `30s`, `5m` or `1h`. */
export function parseInterval(text: string): number | undefined {
  const m = /^([1-9][0-9]{0,8})(ms|s|m|h)$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** `vigil agent`: pulls, verifies, self-tests and activates its group's bundle, and runs it. */
export const agentCommand: Command = {
  ...agentSpec,
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
      collector = new CollectorClient(server, host, ca ? { ca } : {});
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
