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
import { httpDeliverer } from './http.js';
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

/** Builds the deliverer of an Action; throws (naming the action) when it is misconfigured. */
export function createDeliverer(action: Action, deps: ActionDeps): Deliver {
  const spec = action.spec;
  const tokens = deps.tokens ?? new TokenCache();
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
