/**
 * Builds the deliverer of an Action document from its type and settings, with its credential
 * already resolved. The agent registers each deliverer under the action's name with the outbox.
 */
import type { Writable } from 'node:stream';
import type { Action } from '../../schema/generated/action.js';
import type { ResolvedCredential } from '../credentials.js';
import type { Deliver } from './alert-record.js';
import { eventLogDeliverer, streamDeliverer } from './alert.js';
import { emailDeliverer, type EmailOptions } from './email.js';
import { fileDeliverer, type FileActionHooks } from './file.js';
import { httpDeliverer, splitUserinfo } from './http.js';
import { TokenCache } from './oauth2.js';
import { processDeliverer } from './process.js';
import type { Backoff } from './retry.js';

/** What deliverers need from the agent. */
export interface ActionDeps {
  /** Resolved credentials by name (see runtime/credentials.ts). */
  readonly credentials: ReadonlyMap<string, ResolvedCredential>;
  readonly stdout: Writable;
  readonly tokens?: TokenCache;
  readonly file?: FileActionHooks;
  readonly email?: EmailOptions;
  readonly backoff?: Backoff;
}

/** The credential an action names, or an error naming it. */
function credentialOf(action: Action, name: string | undefined, deps: ActionDeps): ResolvedCredential | undefined {
  if (name === undefined) return undefined;
  const c = deps.credentials.get(name);
  if (!c) throw new Error(`action \`${action.metadata.name}\` refers to credential \`${name}\`, which is not available`);
  return c;
}

/**
 * Builds the deliverer of an Action; throws (naming the action) when it is misconfigured. Its
 * errors never carry a secret: servers echo passwords and tokens back, and libraries quote them.
 */
export function createDeliverer(action: Action, deps: ActionDeps): Deliver {
  const tokens = deps.tokens ?? new TokenCache();
  const deliver = buildDeliverer(action, deps, tokens);
  const fixed = secretsOf(action, deps);
  return async (alert, signal) => {
    try {
      await deliver(alert, signal);
    } catch (error) {
      throw new Error(redact(error instanceof Error ? error.message : String(error), [...fixed, ...tokens.held()]));
    }
  };
}

/** The secrets an action's errors could quote: its credential's, and a password written in its URL. */
function secretsOf(action: Action, deps: ActionDeps): string[] {
  const spec = action.spec;
  const name = spec.http?.credential ?? spec.email?.credential;
  const credential = name === undefined ? undefined : deps.credentials.get(name);
  const out = Object.values(credential?.secrets ?? {});
  const userinfo = spec.http ? splitUserinfo(spec.http.url).userinfo : undefined;
  if (userinfo !== undefined) out.push(userinfo, Buffer.from(userinfo, 'base64').toString().replace(/^[^:]*:/, ''));
  if (credential?.type === 'basic') out.push(Buffer.from(`${String(credential.settings.username)}:${credential.secrets.password ?? ''}`).toString('base64'));
  return out;
}

/** `text` with every secret (as written, URL-encoded and base64) replaced by `***`; too-short values are left (they would blank out words). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) out = out.split(form).join('***');
  }
  return out;
}

function buildDeliverer(action: Action, deps: ActionDeps, tokens: TokenCache): Deliver {
  const spec = action.spec;
  const missing = () => new Error(`action \`${action.metadata.name}\` of type \`${spec.type}\` has no \`${spec.type}\` settings`);
  switch (spec.type) {
    case 'alert':
      return spec.alert?.output === 'eventlog' ? eventLogDeliverer() : streamDeliverer(deps.stdout);
    case 'http': {
      if (!spec.http) throw missing();
      const credential = credentialOf(action, spec.http.credential, deps);
      return httpDeliverer(spec.http, { tokens, ...(credential ? { credential } : {}), ...(deps.backoff ? { backoff: deps.backoff } : {}) });
    }
    case 'email': {
      if (!spec.email) throw missing();
      const credential = credentialOf(action, spec.email.credential, deps);
      return emailDeliverer(spec.email, { tokens, ...(credential ? { credential } : {}), ...(deps.email ? { options: deps.email } : {}) });
    }
    case 'file':
      if (!spec.file) throw missing();
      return fileDeliverer(spec.file, deps.file);
    case 'process':
      if (!spec.process) throw missing();
      return processDeliverer(spec.process);
  }
}
