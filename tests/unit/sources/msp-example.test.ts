import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Action } from '../../../schema/generated/action.js';
import type { Credential } from '../../../schema/generated/credential.js';
import type { LogFormat } from '../../../schema/generated/log-format.js';
import type { LogSource } from '../../../schema/generated/log-source.js';
import type { Service } from '../../../schema/generated/service.js';
import { createDeliverer } from '../../../runtime/actions/action.js';
import type { ResolvedCredential } from '../../../runtime/credentials.js';
import { EVALUATION_NICE, resolveHecConfig } from '../../../runtime/sources/hec-config.js';
import { compileFormat } from '../../../runtime/sources/log-format.js';
import { compileFieldMap } from '../../../runtime/sources/field-map.js';
import { REPO_ROOT } from '../../helpers/cli.js';

/** The MSP example's documents of one kind folder. */
function docs<T>(folder: string): T[] {
  const dir = path.join(REPO_ROOT, 'examples/msp', folder);
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => parse(readFileSync(path.join(dir, f), 'utf8')) as T);
}

describe('the MSP example runs as policy', () => {
  it('compiles every LogFormat and LogSource field mapping', () => {
    const formats = docs<LogFormat>('log-formats');
    expect(formats.length).toBeGreaterThan(0);
    for (const f of formats) expect(() => compileFormat(f.spec), f.metadata.name).not.toThrow();
    for (const s of docs<LogSource>('log-sources')) expect(compileFieldMap(s.spec.fieldMappings)({ x: 1 })).toEqual({ x: 1 });
  });

  it('resolves the firewall receiver: sources with formats, the token and TLS files', async () => {
    const service = docs<Service>('services').find((s) => s.spec.type === 'http-receiver')!;
    // The example refers to files on the collector; resolve them from the environment instead.
    const patched = JSON.parse(JSON.stringify(service).replaceAll('file:/etc/vigil/tls/receiver.crt', 'env:TLS_CERT').replaceAll('file:/etc/vigil/tls/receiver.key', 'env:TLS_KEY')) as Service;
    const credentials = docs<Credential>('credentials').map((c) => (c.spec.type === 'hec-token' ? { ...c, spec: { ...c.spec, hecToken: { token: 'env:HEC_TOKEN' } } } : c));
    const config = await resolveHecConfig(patched, { logSources: docs('log-sources'), logFormats: docs('log-formats'), credentials }, { env: { HEC_TOKEN: 'tok', TLS_CERT: 'cert', TLS_KEY: 'key' } });
    expect(config.port).toBe(8088);
    expect(config.tokens).toEqual(['tok']);
    expect(config.tls).toEqual({ cert: 'cert', key: 'key' });
    expect(config.evaluationNice).toBe(19);
    // Without the setting: the agent's default, evaluation at the lowest priority; 0 is kept.
    const spec = patched.spec.httpReceiver!;
    const { evaluationNice: _, ...unset } = spec;
    const resolveWith = (httpReceiver: typeof spec) => resolveHecConfig({ ...patched, spec: { ...patched.spec, httpReceiver } }, { logSources: docs('log-sources'), logFormats: docs('log-formats'), credentials }, { env: { HEC_TOKEN: 'tok', TLS_CERT: 'cert', TLS_KEY: 'key' } });
    expect((await resolveWith(unset)).evaluationNice).toBe(EVALUATION_NICE);
    // The agent's default is the one the schema documents.
    const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schema/service.schema.json'), 'utf8')) as { properties: { spec: { properties: { httpReceiver: { properties: { evaluationNice: { default: number } } } } } } };
    expect(EVALUATION_NICE).toBe(schema.properties.spec.properties.httpReceiver.properties.evaluationNice.default);
    expect((await resolveWith({ ...spec, evaluationNice: 0 })).evaluationNice).toBe(0);
    expect(config.sources.map((s) => [s.source.metadata.name, s.format?.metadata.name])).toEqual([
      ['paloalto-traffic', 'paloalto-traffic-csv'],
      ['fortinet-traffic', 'fortinet-traffic-json'],
      ['sonicwall-traffic', 'sonicwall-json'],
    ]);
    await expect(resolveHecConfig(patched, { logSources: [], logFormats: [], credentials }, {})).rejects.toThrow('unknown LogSource `paloalto-traffic`');
  });

  it('builds a deliverer for every Action', () => {
    const credentials = new Map<string, ResolvedCredential>(
      docs<Credential>('credentials').map((c) => [c.metadata.name, { name: c.metadata.name, type: c.spec.type, secrets: { clientSecret: 's', password: 'p', token: 't' }, settings: { tokenUrl: 'http://127.0.0.1:9/token', clientId: 'c', username: 'u' } }]),
    );
    const actions = docs<Action>('actions');
    expect(actions.map((a) => a.spec.type).sort()).toEqual(['alert', 'email', 'file', 'http', 'process']);
    for (const a of actions) expect(typeof createDeliverer(a, { credentials, stdout: process.stdout }), a.metadata.name).toBe('function');
  });
});
