/**
 * Resolves Credential secrets on the agent. A secret in policy is never plaintext: it is an
 * `env:NAME` or `file:PATH` reference, or an age ciphertext sealed to the agent's key, which the
 * caller opens (runtime/bundle/seal.ts provides `openSecret`). Errors name the reference kind and
 * the variable or path, never a secret value.
 */
import { readFile } from 'node:fs/promises';
import type { Credential, CredentialSpec } from '../schema/generated/credential.js';

/** A secret could not be resolved; the message names the reference, never a value. */
export class CredentialError extends Error {}

/** Opens an age-sealed secret; supplied by the agent, which holds the identity. */
export type OpenSealed = (sealed: string) => Promise<string>;

/** Where secrets come from; tests pass their own environment. */
export interface ResolveOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly open?: OpenSealed;
}

const SEALED = /^-----BEGIN AGE ENCRYPTED FILE-----/;

/** True for an ASCII-armored age ciphertext. */
export function isSealed(value: string): boolean {
  return SEALED.test(value.trim());
}

/** Resolves one secret reference (`env:NAME`, `file:PATH` or sealed text) to its value. */
export async function resolveSecret(ref: string, options: ResolveOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    const value = env[name];
    if (value === undefined || value === '') throw new CredentialError(`environment variable \`${name}\` is not set`);
    return value;
  }
  if (ref.startsWith('file:')) {
    const file = ref.slice(5);
    try {
      // Secret files usually end with a newline that is not part of the secret.
      return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      throw new CredentialError(`secret file \`${file}\` cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (isSealed(ref)) {
    if (!options.open) throw new CredentialError('a sealed secret needs the agent key to open it');
    try {
      return await options.open(ref.trim());
    } catch {
      throw new CredentialError('a sealed secret cannot be opened with this agent key');
    }
  }
  throw new CredentialError('a secret must be an `env:NAME` or `file:PATH` reference or an age-sealed value');
}

/** A Credential with every secret field resolved (only the type's own sub-object is kept). */
export interface ResolvedCredential {
  readonly name: string;
  readonly type: CredentialSpec['type'];
  /** Resolved secrets by field name (`clientSecret`, `certificate`, `token`, `password`). */
  readonly secrets: Readonly<Record<string, string>>;
  /** The non-secret settings of the type's sub-object (tenantId, clientId, tokenUrl, username, …). */
  readonly settings: Readonly<Record<string, unknown>>;
}

const SECRET_FIELDS = new Set(['clientSecret', 'certificate', 'token', 'password']);
const SUB_OBJECT: Record<CredentialSpec['type'], keyof CredentialSpec> = {
  'azure-ad-app': 'azureAdApp',
  'oauth2-client': 'oauth2Client',
  'hec-token': 'hecToken',
  smtp: 'smtp',
  basic: 'basic',
};

/** Resolves every secret of a Credential document. */
export async function resolveCredential(credential: Credential, options: ResolveOptions = {}): Promise<ResolvedCredential> {
  const spec = credential.spec;
  const sub = (spec[SUB_OBJECT[spec.type]] ?? {}) as Record<string, unknown>;
  const secrets: Record<string, string> = {};
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(sub)) {
    if (SECRET_FIELDS.has(key) && typeof value === 'string') {
      try {
        secrets[key] = await resolveSecret(value, options);
      } catch (error) {
        throw new CredentialError(`credential \`${credential.metadata.name}\` field \`${key}\`: ${(error as Error).message}`);
      }
    } else settings[key] = value;
  }
  return { name: credential.metadata.name, type: spec.type, secrets, settings };
}
