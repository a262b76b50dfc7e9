/**
 * The status report an agent sends to `POST /status` and the server keeps per host. The server
 * reads reports from the network, so `parseStatus` checks every field and caps every list.
 */
import { isSafeSegment } from './bundle/layout.js';

/** A problem the agent hit: a refusal (VR1xxx), an activation failure (VA2xxx) or a transport error. */
export interface StatusError {
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

/** The bundle an agent runs. */
export interface ActiveBundle {
  /** Version of the signed targets metadata that listed it. */
  readonly version: number;
  /** sha256 of the bundle bytes. */
  readonly digest: string;
  readonly activatedAt: string;
}

/** One source or action the active bundle configures, as the agent runs it. */
export interface IoPartStatus {
  readonly name: string;
  /** LogSource, Service or Action type (`file`, `http-receiver`, `http`, …). */
  readonly type: string;
  /** `not-run`: a Service type this agent does not run (sysmon, log signing, …). */
  readonly state: 'running' | 'failed' | 'not-run';
  /** Where it listens (a receiver's URL). */
  readonly detail?: string;
  /** Why it failed to start: a problem code and message (never a secret). */
  readonly error?: string;
}

/** One agent's report. */
export interface AgentStatus {
  readonly host: string;
  readonly group: string;
  /** The ring the server placed the host in, as the agent last heard it (informational). */
  readonly ring?: string;
  readonly state: 'starting' | 'running' | 'no-bundle';
  readonly bundle?: ActiveBundle;
  /** Digest of the last-known-good bundle, kept to fall back to. */
  readonly lastKnownGood?: string;
  /** Self-test of the active bundle. */
  readonly selfTest: 'passed' | 'failed' | 'none';
  /** Recent errors, newest last (at most MAX_ERRORS). */
  readonly errors: readonly StatusError[];
  /** Many errors in a short time since the last activation. */
  readonly errorBurst: boolean;
  /** Set when the agent went back to its last-known-good by itself. */
  readonly reverted?: { readonly from: string; readonly to?: string; readonly at: string; readonly reason: string };
  /** The last bundle the agent refused (verification, self-test or schema), so a rollout can stop on it. */
  readonly refused?: { readonly digest: string; readonly code: string; readonly at: string };
  /** The sources (LogSources, receiver Services) and actions of the active bundle, and whether each started. */
  readonly sources?: readonly IoPartStatus[];
  readonly actions?: readonly IoPartStatus[];
  /** How often the agent polls, so the server can tell a silent agent from a dead one. */
  readonly pollIntervalMs: number;
  readonly agentVersion: string;
  readonly reportedAt: string;
}

/** Errors kept in a report. */
export const MAX_ERRORS = 20;
/** Largest report body the server reads. */
export const MAX_STATUS_BYTES = 64 * 1024;

const DIGEST = /^[0-9a-f]{64}$/;
const str = (v: unknown, max = 1000): v is string => typeof v === 'string' && v.length <= max;
const isDate = (v: unknown): v is string => str(v, 40) && !Number.isNaN(Date.parse(v));

/** Host names as agents give them: a safe segment, compared case-insensitively. */
export function normalizeHost(host: string): string {
  return host.toLowerCase();
}

/** Largest number of sources or actions kept in a report. */
const MAX_PARTS = 100;

/** Checks a list of source or action entries; returns it, or why it is invalid. */
function parseParts(value: unknown, field: string): IoPartStatus[] | string | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return `\`${field}\` must be an array`;
  const out: IoPartStatus[] = [];
  for (const e of value.slice(0, MAX_PARTS)) {
    const x = e as Record<string, unknown> | null;
    if (!x || !str(x.name, 200) || !str(x.type, 64) || (x.state !== 'running' && x.state !== 'failed' && x.state !== 'not-run')) return `each of \`${field}\` needs name, type and state`;
    if ((x.detail !== undefined && !str(x.detail, 500)) || (x.error !== undefined && !str(x.error, 2000))) return `\`${field}\` detail and error must be short strings`;
    out.push({ name: x.name, type: x.type, state: x.state, ...(x.detail !== undefined ? { detail: x.detail as string } : {}), ...(x.error !== undefined ? { error: x.error as string } : {}) });
  }
  return out;
}

/** Checks a report from the network; returns it, or why it is not a valid report. */
export function parseStatus(value: unknown): AgentStatus | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a status report must be a JSON object';
  const v = value as Record<string, unknown>;
  if (!str(v.host, 64) || !isSafeSegment(v.host)) return '`host` must be a safe name';
  if (!str(v.group, 64) || !isSafeSegment(v.group)) return '`group` must be a safe name';
  if (v.ring !== undefined && (!str(v.ring, 64) || !isSafeSegment(v.ring))) return '`ring` must be a safe name';
  if (v.state !== 'starting' && v.state !== 'running' && v.state !== 'no-bundle') return '`state` must be starting, running or no-bundle';
  if (v.selfTest !== 'passed' && v.selfTest !== 'failed' && v.selfTest !== 'none') return '`selfTest` must be passed, failed or none';
  let bundle: ActiveBundle | undefined;
  if (v.bundle !== undefined) {
    const b = v.bundle as Record<string, unknown> | null;
    if (!b || !Number.isInteger(b.version) || !str(b.digest) || !DIGEST.test(b.digest) || !isDate(b.activatedAt)) return '`bundle` must have version, digest (sha256 hex) and activatedAt';
    bundle = { version: b.version as number, digest: b.digest, activatedAt: b.activatedAt };
  }
  if (v.lastKnownGood !== undefined && (!str(v.lastKnownGood) || !DIGEST.test(v.lastKnownGood))) return '`lastKnownGood` must be a sha256 hex digest';
  if (!Array.isArray(v.errors)) return '`errors` must be an array';
  const errors: StatusError[] = [];
  for (const e of v.errors.slice(-MAX_ERRORS)) {
    const x = e as Record<string, unknown> | null;
    if (!x || !str(x.code, 16) || !str(x.message, 2000) || !isDate(x.at)) return 'each error needs code, message and at';
    errors.push({ code: x.code, message: x.message, at: x.at });
  }
  let reverted: AgentStatus['reverted'];
  if (v.reverted !== undefined) {
    const r = v.reverted as Record<string, unknown> | null;
    if (!r || !str(r.from) || !DIGEST.test(r.from) || !isDate(r.at) || !str(r.reason, 2000) || (r.to !== undefined && (!str(r.to) || !DIGEST.test(r.to)))) return '`reverted` must have from, at and reason';
    reverted = { from: r.from, at: r.at, reason: r.reason, ...(typeof r.to === 'string' ? { to: r.to } : {}) };
  }
  let refused: AgentStatus['refused'];
  if (v.refused !== undefined) {
    const r = v.refused as Record<string, unknown> | null;
    if (!r || !str(r.digest) || !DIGEST.test(r.digest) || !str(r.code, 16) || !isDate(r.at)) return '`refused` must have digest, code and at';
    refused = { digest: r.digest, code: r.code, at: r.at };
  }
  if (typeof v.errorBurst !== 'boolean') return '`errorBurst` must be a boolean';
  const sources = parseParts(v.sources, 'sources');
  if (typeof sources === 'string') return sources;
  const actions = parseParts(v.actions, 'actions');
  if (typeof actions === 'string') return actions;
  if (!Number.isInteger(v.pollIntervalMs) || (v.pollIntervalMs as number) < 1) return '`pollIntervalMs` must be a positive integer';
  if (!str(v.agentVersion, 64) || !isDate(v.reportedAt)) return '`agentVersion` and `reportedAt` are required';
  return {
    host: v.host, group: v.group, ...(v.ring !== undefined ? { ring: v.ring as string } : {}), state: v.state,
    ...(bundle ? { bundle } : {}), ...(v.lastKnownGood !== undefined ? { lastKnownGood: v.lastKnownGood as string } : {}),
    selfTest: v.selfTest, errors, errorBurst: v.errorBurst, ...(reverted ? { reverted } : {}), ...(refused ? { refused } : {}),
    ...(sources ? { sources } : {}), ...(actions ? { actions } : {}),
    pollIntervalMs: v.pollIntervalMs as number, agentVersion: v.agentVersion, reportedAt: v.reportedAt,
  };
}
