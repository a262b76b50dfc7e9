/**
 * Builds a receiver's settings from policy: the `http-receiver` Service, the LogSources it serves
 * with their LogFormats, and its `hec-token` Credentials, with secrets resolved on the agent.
 */
import type { Credential } from '../../schema/generated/credential.js';
import type { LogFormat } from '../../schema/generated/log-format.js';
import type { LogSource } from '../../schema/generated/log-source.js';
import type { Service } from '../../schema/generated/service.js';
import { CredentialError, resolveCredential, resolveSecret, type ResolveOptions } from '../credentials.js';
import type { HecConfig } from './hec.js';

/** The agent's main thread evaluates at the lowest priority unless a Service says otherwise (its schema's default). */
export const EVALUATION_NICE = 19;

/** The policy documents a receiver may refer to. */
export interface HecDocs {
  readonly logSources: readonly LogSource[];
  readonly logFormats: readonly LogFormat[];
  readonly credentials: readonly Credential[];
}

/** Resolves an `http-receiver` Service into receiver settings; throws CredentialError or Error naming what is missing. */
export async function resolveHecConfig(service: Service, docs: HecDocs, options: ResolveOptions = {}): Promise<HecConfig> {
  const spec = service.spec.httpReceiver;
  if (service.spec.type !== 'http-receiver' || !spec) throw new Error(`service \`${service.metadata.name}\` is not an http-receiver`);
  const byName = <T extends { metadata: { name: string } }>(list: readonly T[], name: string, kind: string): T => {
    const doc = list.find((d) => d.metadata.name === name);
    if (!doc) throw new Error(`service \`${service.metadata.name}\` refers to unknown ${kind} \`${name}\``);
    return doc;
  };
  const sources = spec.sources.map((name) => {
    const source = byName(docs.logSources, name, 'LogSource');
    const format = source.spec.format ? byName(docs.logFormats, source.spec.format, 'LogFormat') : undefined;
    return format ? { source, format } : { source };
  });
  const tokens: string[] = [];
  for (const name of spec.tokens ?? []) {
    const cred = byName(docs.credentials, name, 'Credential');
    if (cred.spec.type !== 'hec-token') throw new CredentialError(`credential \`${name}\` is not a hec-token`);
    const resolved = await resolveCredential(cred, options);
    tokens.push(resolved.secrets.token!);
  }
  let tls: HecConfig['tls'];
  if (spec.tls) tls = { cert: await resolveSecret(spec.tls.certificate, options), key: await resolveSecret(spec.tls.key, options) };
  return {
    port: spec.port,
    ...(spec.bind ? { bind: spec.bind } : {}),
    tokens,
    ...(tls ? { tls } : {}),
    ...(spec.maxBodyBytes ? { maxBodyBytes: spec.maxBodyBytes } : {}),
    ...(spec.queueSize ? { queueSize: spec.queueSize } : {}),
    evaluationNice: spec.evaluationNice ?? EVALUATION_NICE,
    sources,
  };
}
