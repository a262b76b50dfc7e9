/**
 * The inputs and outputs a bundle configures, started when the bundle is activated and stopped
 * when another replaces it: file and JSON Lines LogSources (followed from persisted offsets), the
 * HTTP receiver Services (HEC, durable spool), Azure sign-in LogSources (per-tenant checkpoints)
 * and the Actions (persisted outbox). Everything that must survive a swap or a restart lives in
 * the shared state database, so stopping one set and starting the next loses nothing that was
 * acknowledged. A part that cannot start is reported and left out; the rest still runs.
 */
import type { Writable } from 'node:stream';
import type { Action } from '../schema/generated/action.js';
import type { Credential } from '../schema/generated/credential.js';
import type { LogFormat } from '../schema/generated/log-format.js';
import type { LogSource } from '../schema/generated/log-source.js';
import type { Service } from '../schema/generated/service.js';
import { startActions, type ActionRunner } from './actions/action-runner.js';
import type { AlertRecord } from './actions/alert-record.js';
import { resolveCredential, type ResolvedCredential, type ResolveOptions } from './credentials.js';
import { createAzureSignInSource, resolveAzureTenants } from './sources/azure-signin.js';
import type { EventSink } from './sources/event-sink.js';
import { createFileSource } from './sources/file-source.js';
import { resolveHecConfig } from './sources/hec-config.js';
import { startHecReceiver, type HecReceiver } from './sources/hec.js';
import { pollIntervalMs, runPolling } from './sources/poll-loop.js';
import { problem, type Problem } from './sources/problems.js';
import type { Store } from './state/store.js';
import type { IoPartStatus } from './status.js';

/** `{name, spec}` as the bundle carries each document (docs/compile.md). */
interface NamedSpec<S> {
  readonly name: string;
  readonly spec: S;
}

/** What the agent gives the inputs and outputs of a bundle. */
export interface BundleIoDeps {
  readonly store: Store;
  /** Takes a batch of source events; returns once they are processed (alerts queued durably). */
  readonly sink: EventSink;
  /** Where `alert` actions with `output: stdout` write their JSON lines. */
  readonly stdout: Writable;
  /** Problems met while running (bad lines, failed deliveries, parts that cannot start). */
  readonly report: (p: Problem) => void;
  /** Progress lines (a receiver's URL, parts this agent does not run). */
  readonly log: (line: string) => void;
  /** Opens an age-sealed secret with the agent key. */
  readonly open?: ResolveOptions['open'];
  readonly env?: NodeJS.ProcessEnv;
  /** Overrides every receiver's configured port (0: any free port). */
  readonly receiverPort?: number;
  /** Base URL that replaces both the Entra ID authority and Microsoft Graph (a local fake in tests). */
  readonly azureEndpoint?: string;
}

/** The running inputs and outputs of one bundle. */
export interface BundleIo {
  /** True when the bundle configures at least one action that could start. */
  readonly hasActions: boolean;
  /**
   * Queues an alert (durably) for every action of the bundle whose `minLevel` and `throttle` take
   * it. A policy's `actions` list makes sure the action ships with the group; routing is by level.
   */
  dispatch(alert: AlertRecord): void;
  /** Bound receivers, so a caller can tell senders where to post. */
  readonly receivers: readonly { readonly name: string; readonly url: string }[];
  status(): { readonly sources: readonly IoPartStatus[]; readonly actions: readonly IoPartStatus[] };
  /** Stops sources first (no new events), then delivers what is due for up to `drainMs`, then stops the actions. */
  stop(drainMs?: number): Promise<void>;
}

const list = <S>(value: unknown): NamedSpec<S>[] => (Array.isArray(value) ? (value as NamedSpec<S>[]).filter((x) => x && typeof x.name === 'string' && x.spec && typeof x.spec === 'object') : []);
const doc = <K extends string, S>(kind: K, n: NamedSpec<S>) => ({ apiVersion: 'vigil/v1' as const, kind, metadata: { name: n.name }, spec: n.spec });

/** The policy documents of a bundle's content, rebuilt from `{name, spec}` entries. */
export function contentDocs(content: Readonly<Record<string, unknown>>): { services: Service[]; logSources: LogSource[]; logFormats: LogFormat[]; actions: Action[]; credentials: Credential[] } {
  const creds = content.credentials && typeof content.credentials === 'object' && !Array.isArray(content.credentials) ? Object.entries(content.credentials as Record<string, Credential['spec']>) : [];
  return {
    services: list<Service['spec']>(content.services).map((n) => doc('Service', n) as Service),
    logSources: list<LogSource['spec']>(content.logSources).map((n) => doc('LogSource', n) as LogSource),
    logFormats: list<LogFormat['spec']>(content.logFormats).map((n) => doc('LogFormat', n) as LogFormat),
    actions: list<Action['spec']>(content.actions).map((n) => doc('Action', n) as Action),
    credentials: creds.map(([name, spec]) => doc('Credential', { name, spec }) as Credential),
  };
}

/** True when a bundle's content configures sources, services or actions. */
export function configuresIo(content: Readonly<Record<string, unknown>>): boolean {
  return ['services', 'logSources', 'actions'].some((k) => Array.isArray(content[k]) && (content[k] as unknown[]).length > 0);
}

/** Starts what a bundle's content configures; never throws (a failing part is reported and skipped). */
export async function startBundleIo(content: Readonly<Record<string, unknown>>, deps: BundleIoDeps): Promise<BundleIo> {
  const docs = contentDocs(content);
  const resolve: ResolveOptions = { ...(deps.open ? { open: deps.open } : {}), ...(deps.env ? { env: deps.env } : {}) };
  const sources: IoPartStatus[] = [];
  const actionParts: IoPartStatus[] = [];
  const abort = new AbortController();
  const loops: Promise<void>[] = [];
  const receivers: HecReceiver[] = [];
  const receiverUrls: { name: string; url: string }[] = [];
  const fail = (part: IoPartStatus[], name: string, type: string, code: 'VS1011' | 'VS2003', error: unknown) => {
    const detail = (error as Error).message ?? String(error);
    part.push({ name, type, state: 'failed', error: `${code}: ${detail}` });
    deps.report(problem(code, name, code === 'VS1011' ? { source: name, detail } : { action: name, detail }));
  };
  const formatOf = (s: LogSource) => (s.spec.format ? docs.logFormats.find((f) => f.metadata.name === s.spec.format) : undefined);
  const azure = deps.azureEndpoint ? { authorityUrl: deps.azureEndpoint, graphUrl: deps.azureEndpoint } : {};

  // Receivers first: the LogSources they serve are theirs, not polled on their own.
  for (const service of docs.services) {
    const name = service.metadata.name;
    if (service.spec.type !== 'http-receiver') {
      sources.push({ name, type: service.spec.type, state: 'not-run' });
      continue;
    }
    try {
      // Receivers share one spool table, whose pump takes every row: a second one would process them twice.
      if (receivers.length > 0) throw new Error(`only one http-receiver runs per agent; \`${receiverUrls[0]!.name}\` already does`);
      const config = await resolveHecConfig(service, docs, resolve);
      const hec = await startHecReceiver(deps.receiverPort === undefined ? config : { ...config, port: deps.receiverPort }, deps.sink, deps.store, deps.report);
      receivers.push(hec);
      receiverUrls.push({ name, url: hec.url });
      sources.push({ name, type: 'http-receiver', state: 'running', detail: hec.url });
      deps.log(`agent: receiver \`${name}\` listening on ${hec.url}`);
    } catch (error) {
      fail(sources, name, 'http-receiver', 'VS1011', error);
    }
  }
  for (const source of docs.logSources) {
    const name = source.metadata.name;
    const type = source.spec.type;
    if (type === 'http') continue; // served by a receiver above (or by none, and then idle)
    try {
      const deps2 = { store: deps.store, sink: deps.sink, report: deps.report };
      const polled = type === 'azure-signin'
        ? createAzureSignInSource(source, await resolveAzureTenants(source, docs.credentials, resolve), formatOf(source), deps2, azure)
        : createFileSource(source, formatOf(source), deps2);
      loops.push(runPolling(name, polled, pollIntervalMs(source.spec.pollInterval, type), abort.signal, deps.report));
      sources.push({ name, type, state: 'running' });
    } catch (error) {
      fail(sources, name, type, 'VS1011', error);
    }
  }

  // Actions whose credential cannot be resolved are left out, named, with the reason.
  const usable: Action[] = [];
  const credentials = new Map<string, ResolvedCredential>();
  for (const action of docs.actions) {
    const name = action.metadata.name;
    const credName = action.spec.http?.credential ?? action.spec.email?.credential;
    try {
      if (credName !== undefined && !credentials.has(credName)) {
        const c = docs.credentials.find((d) => d.metadata.name === credName);
        if (!c) throw new Error(`credential \`${credName}\` is not in the bundle`);
        credentials.set(credName, await resolveCredential(c, resolve));
      }
      usable.push(action);
    } catch (error) {
      fail(actionParts, name, action.spec.type, 'VS2003', error);
    }
  }
  let runner: ActionRunner | undefined;
  const started = new Set<string>();
  if (usable.length > 0) {
    runner = startActions(usable, { credentials, stdout: deps.stdout }, deps.store, {
      report: (p) => {
        // startActions reports (and leaves out) an action it cannot build.
        if (p.code === 'VS2003') actionParts.push({ name: p.origin, type: usable.find((a) => a.metadata.name === p.origin)?.spec.type ?? '?', state: 'failed', error: `VS2003: ${p.message}` });
        deps.report(p);
      },
    });
    for (const a of usable) {
      if (actionParts.some((x) => x.name === a.metadata.name)) continue;
      started.add(a.metadata.name);
      actionParts.push({ name: a.metadata.name, type: a.spec.type, state: 'running' });
    }
  }

  return {
    hasActions: started.size > 0,
    receivers: receiverUrls,
    dispatch(alert) {
      runner?.dispatch(alert);
    },
    status: () => ({ sources: [...sources], actions: [...actionParts] }),
    async stop(drainMs = 2000) {
      abort.abort();
      await Promise.all([...receivers.map((r) => r.close()), ...loops].map((p) => p.catch(() => undefined)));
      await runner?.close(drainMs).catch(() => undefined);
    },
  };
}
