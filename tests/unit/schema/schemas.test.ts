import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ErrorObject } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';
import { KINDS, KIND_NAMES, SCHEMAS, SIGMA_RULE_SCHEMA_ID, isKindName } from '../../../schema/generated/kinds.js';
import { loadSchemaFiles, propertySchemas, strictAjv, walkSchemas } from './schema-set.js';

const files = loadSchemaFiles();
const ajv = strictAjv(files.values());

describe('schema files', () => {
  it('every schema declares draft 2020-12 and the $id of its file name', () => {
    const offenders: string[] = [];
    for (const [file, schema] of files) {
      if (schema.$schema !== 'https://json-schema.org/draft/2020-12/schema') offenders.push(`${file}: $schema`);
      if (schema.$id !== `https://vigil.dev/schema/v1/${file}`) offenders.push(`${file}: $id`);
    }
    expect(offenders).toEqual([]);
    expect(files.size).toBeGreaterThanOrEqual(18);
  });

  it('every schema compiles with ajv 2020 in strict mode', () => {
    const offenders: string[] = [];
    for (const schema of files.values()) {
      try {
        ajv.getSchema(schema.$id as string);
      } catch (err) {
        offenders.push(`${String(schema.$id)}: ${(err as Error).message}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('every property at every depth has a description and examples', () => {
    const offenders: string[] = [];
    for (const [file, schema] of files) {
      for (const { pointer, schema: prop } of propertySchemas(schema)) {
        // `{ "x": true }` only declares a name for ajv's strictRequired inside if/anyOf branches.
        if (prop === true) continue;
        const p = prop as Record<string, unknown>;
        if (typeof p.description !== 'string' || p.description.length === 0) offenders.push(`${file}#${pointer}: no description`);
        if (!Array.isArray(p.examples) || p.examples.length === 0) offenders.push(`${file}#${pointer}: no examples`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('every example in every schema validates against the subschema that gives it', () => {
    const offenders: string[] = [];
    let checked = 0;
    for (const schema of files.values()) {
      for (const { pointer, schema: sub } of walkSchemas(schema)) {
        if (sub === null || typeof sub !== 'object') continue;
        const examples = (sub as Record<string, unknown>).examples;
        if (!Array.isArray(examples)) continue;
        const validate = ajv.getSchema(`${String(schema.$id)}#${pointer}`);
        if (!validate) {
          offenders.push(`${String(schema.$id)}#${pointer}: cannot resolve`);
          continue;
        }
        examples.forEach((example, i) => {
          checked++;
          if (!validate(example)) offenders.push(`${String(schema.$id)}#${pointer}/examples/${i}: ${ajv.errorsText(validate.errors)}`);
        });
      }
    }
    expect(offenders).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  });

  it('vigil/v1 kind objects forbid unknown properties', () => {
    const offenders: string[] = [];
    for (const name of KIND_NAMES) {
      const schema = files.get(KINDS[name].file);
      if (!schema) continue;
      for (const { pointer, schema: sub } of walkSchemas(schema)) {
        const s = sub as Record<string, unknown>;
        if (s && s.type === 'object' && s.properties && s.additionalProperties !== false) offenders.push(`${KINDS[name].file}#${pointer}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('generated kind table', () => {
  it('has a schema file for every kind except possibly Pipeline, and embeds every schema file', () => {
    const missing = KIND_NAMES.filter((k) => k !== 'Pipeline' && !files.has(KINDS[k].file));
    expect(missing).toEqual([]);
    expect(Object.keys(SCHEMAS).sort()).toEqual([...files.values()].map((s) => s.$id).sort());
    expect(KINDS.ThreatScore).toMatchObject({ file: 'threat-score.schema.json', plural: 'threat-scores', schemaId: 'https://vigil.dev/schema/v1/threat-score.schema.json' });
    expect(KINDS.Anomaly.plural).toBe('anomalies');
    expect(KIND_NAMES).toEqual([...KIND_NAMES].sort());
    expect(isKindName('HostGroup')).toBe(true);
    expect(isKindName('hostgroup')).toBe(false);
    expect(isKindName(42)).toBe(false);
  });
});

/** Validates one document against a kind's schema and returns `keyword at path` strings. */
function errorsOf(kindOrSigma: string, doc: unknown): string[] {
  const id = isKindName(kindOrSigma) ? KINDS[kindOrSigma].schemaId : SIGMA_RULE_SCHEMA_ID;
  const validate = ajv.getSchema(id);
  if (!validate) throw new Error(`no schema ${id}`);
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e: ErrorObject) => `${e.keyword} at ${e.instancePath || '/'}`);
}

const credential = (clientSecret: string): unknown => ({
  apiVersion: 'vigil/v1',
  kind: 'Credential',
  metadata: { name: 'contoso-signin' },
  spec: {
    type: 'azure-ad-app',
    azureAdApp: { tenantId: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f', clientId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', clientSecret },
  },
});

describe('schema behaviour', () => {
  it('accepts secret references and age armor, and rejects a plaintext secret by pattern only', () => {
    expect(errorsOf('Credential', credential('env:CONTOSO_SECRET'))).toEqual([]);
    expect(errorsOf('Credential', credential('file:/etc/vigil/contoso.secret'))).toEqual([]);
    expect(errorsOf('Credential', credential('-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n'))).toEqual([]);
    expect(errorsOf('Credential', credential('Xk8Q~s3cr3t.value'))).toEqual(['pattern at /spec/azureAdApp/clientSecret']);
    expect(errorsOf('Credential', credential('env:'))).toEqual(['pattern at /spec/azureAdApp/clientSecret']);
  });

  it('reports a typo as one additionalProperties error on the parent object', () => {
    const doc = {
      apiVersion: 'vigil/v1',
      kind: 'ThreatScore',
      metadata: { name: 'recon' },
      spec: { key: 'host', windw: '5m', window: '5m', threshold: 100, scores: [{ tag: 'attack.discovery', score: 10 }] },
    };
    expect(errorsOf('ThreatScore', doc)).toEqual(['additionalProperties at /spec']);
  });

  it('requires the sub-object named by spec.type with a single required error', () => {
    const doc = { apiVersion: 'vigil/v1', kind: 'Action', metadata: { name: 'soc-email' }, spec: { type: 'email' } };
    expect(errorsOf('Action', doc)).toEqual(['required at /spec', 'if at /spec']);
  });

  it('rejects scores outside 0-100 and malformed durations', () => {
    const doc = {
      apiVersion: 'vigil/v1',
      kind: 'ThreatScore',
      metadata: { name: 'recon' },
      spec: { key: 'host', window: '5 minutes', threshold: 100, scores: [{ tag: 'attack.discovery', score: 101 }] },
    };
    expect(errorsOf('ThreatScore', doc)).toEqual(['pattern at /spec/window', 'maximum at /spec/scores/0/score']);
  });

  it('accepts Sigma custom attributes but keeps known fields typed', () => {
    const rule = {
      title: 'Whoami',
      id: '0d8a1f57-37d4-4b0c-b1b5-7ec3e2f2a5c1',
      x_vendor_custom: { anything: true },
      logsource: { category: 'process_creation', product: 'windows' },
      detection: { selection: { 'Image|endswith': '\\whoami.exe' }, condition: 'selection' },
    };
    expect(errorsOf('sigma', rule)).toEqual([]);
    expect(errorsOf('sigma', { ...rule, level: 'severe' })).toEqual(['enum at /level']);
    expect(errorsOf('sigma', { ...rule, date: '01.02.2024' })).toEqual(['pattern at /date']);
    expect(errorsOf('sigma', { ...rule, detection: { selection: { Image: 'x' } } })).toEqual(['required at /detection']);
  });

  it('accepts correlation rules without logsource or detection', () => {
    const rule = {
      title: 'Many recon tools',
      id: 'a6f8c1e2-3b4d-4e5f-8a9b-0c1d2e3f4a5b',
      correlation: { type: 'event_count', rules: ['recon_whoami'], 'group-by': ['Computer'], timespan: '5m', condition: { gte: 3 } },
    };
    expect(errorsOf('sigma', rule)).toEqual([]);
    expect(errorsOf('sigma', { ...rule, correlation: { ...rule.correlation, type: 'count' } })).toEqual(['enum at /correlation/type']);
  });
});

/** Every YAML file under a folder, recursively, skipping event data. */
function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(name)) out.push(full);
  }
  return out;
}

describe('example repositories', () => {
  for (const example of ['minimal', 'msp']) {
    it(`every document in examples/${example} validates against its schema`, () => {
      const dir = path.join(REPO_ROOT, 'examples', example);
      const offenders: string[] = [];
      const kinds = new Set<string>();
      let docs = 0;
      for (const file of yamlFiles(dir)) {
        const rel = path.relative(REPO_ROOT, file);
        for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
          if (doc.errors.length > 0) {
            offenders.push(`${rel}: ${doc.errors[0]?.message ?? 'parse error'}`);
            continue;
          }
          const value = doc.toJS() as Record<string, unknown> | null;
          if (value === null) continue;
          docs++;
          const kind = 'apiVersion' in value ? String(value.kind) : 'sigma';
          if (kind !== 'sigma' && !isKindName(kind)) {
            offenders.push(`${rel}: unknown kind ${kind}`);
            continue;
          }
          kinds.add(kind);
          const errors = errorsOf(kind, value);
          if (errors.length > 0) offenders.push(`${rel} (${kind}): ${errors.join(', ')}`);
        }
      }
      expect(offenders).toEqual([]);
      expect(kinds.has('sigma') && kinds.has('HostGroup') && kinds.has('Package')).toBe(true);
      if (example === 'msp') {
        const absent = KIND_NAMES.filter((k) => k !== 'Pipeline' && !kinds.has(k));
        expect(absent).toEqual([]);
      }
      expect(docs).toBeGreaterThan(2);
    });
  }
});

/** The kind sections of a document: docs/policy-kinds.md from its first `##`, README.md's `## Policy kinds` section. */
function kindSections(file: string): string {
  const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
  if (file !== 'README.md') return text.slice(text.indexOf('\n## '));
  const start = text.indexOf('\n## Policy kinds');
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(text.indexOf('\n### ', start), end === -1 ? undefined : end);
}

describe.each(['docs/policy-kinds.md', 'README.md'])('%s', (file) => {
  it('every YAML example under a kind heading validates against its schema', () => {
    // The block before the first kind heading shows the bare document shape with an empty spec.
    const body = kindSections(file);
    const blocks = [...body.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    const offenders: string[] = [];
    const kinds = new Set<string>();
    for (const block of blocks) {
      const value = parseAllDocuments(block)[0]?.toJS() as Record<string, unknown>;
      const kind = 'apiVersion' in value ? String(value.kind) : 'sigma';
      kinds.add(kind);
      const errors = errorsOf(kind, value);
      if (errors.length > 0) offenders.push(`${kind}: ${errors.join(', ')}`);
    }
    expect(offenders).toEqual([]);
    expect(KIND_NAMES.filter((k) => k !== 'Pipeline' && !kinds.has(k))).toEqual([]);
  });
});
