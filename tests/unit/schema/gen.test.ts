import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateAll, typingView } from '../../../schema/gen.js';
import { kebabOf, pluralOf } from '../../../schema/gen-kinds.js';
import { SCHEMA_DIR } from './schema-set.js';

const temps: string[] = [];

/** A copy of schema/*.schema.json in a temporary folder, to add or remove files from. */
async function schemaCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-gen-'));
  temps.push(dir);
  await cp(SCHEMA_DIR, dir, { recursive: true, filter: (src) => src === SCHEMA_DIR || src.endsWith('.schema.json') });
  return dir;
}

afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('schema generator', () => {
  it('keeps Pipeline in KindName with a warning when pipeline.schema.json is absent', async () => {
    const dir = await schemaCopy();
    await rm(path.join(dir, 'pipeline.schema.json'), { force: true });
    const warnings: string[] = [];
    const out = await generateAll(dir, { warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringContaining('pipeline.schema.json is missing')]);
    expect(out.has('generated/pipeline.ts')).toBe(false);
    const kinds = out.get('generated/kinds.ts') ?? '';
    expect(kinds).toMatch(/export type KindName = [^;]*'Pipeline'/);
    expect(kinds).toContain("plural: \"pipelines\"");
    expect(kinds).not.toContain('https://vigil.dev/schema/v1/pipeline.schema.json": {');
  });

  it('picks up any new schema file generically (types module and SCHEMAS entry)', async () => {
    const dir = await schemaCopy();
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://vigil.dev/schema/v1/detection-ir.schema.json',
      title: 'DetectionIr',
      description: 'Test schema.',
      type: 'object',
      additionalProperties: false,
      properties: { rules: { type: 'array', items: { $ref: 'https://vigil.dev/schema/v1/common.schema.json#/$defs/ruleId' }, description: 'Rule ids.', examples: [[]] } },
    };
    await writeFile(path.join(dir, 'detection-ir.schema.json'), JSON.stringify(schema));
    const out = await generateAll(dir);
    expect(out.get('generated/detection-ir.ts')).toMatch(/export interface DetectionIr \{\n\s+\/\*\*[\s\S]*rules\?: RuleId\[\];/);
    expect(out.get('generated/kinds.ts')).toContain('"https://vigil.dev/schema/v1/detection-ir.schema.json": {');
  });

  it('refuses a schema whose $id does not match its file name', async () => {
    const dir = await schemaCopy();
    await writeFile(path.join(dir, 'oops.schema.json'), JSON.stringify({ $id: 'https://vigil.dev/schema/v1/other.schema.json' }));
    await expect(generateAll(dir)).rejects.toThrow(/oops\.schema\.json: \$id must be/);
  });

  it('drops presence-only constraints from the typing view but keeps real unions', () => {
    const view = typingView({
      type: 'object',
      properties: { a: { anyOf: [{ type: 'string' }, { type: 'number' }] }, b: { type: 'string' } },
      anyOf: [{ properties: { b: true }, required: ['b'] }],
      allOf: [{ if: { properties: { a: { const: 'x' } }, required: ['a'] }, then: { properties: { b: true }, required: ['b'] } }],
    });
    expect(view).toEqual({ type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'number' }] }, b: { type: 'string' } } });
  });

  it('derives file and folder names from kind names', () => {
    expect(kebabOf('ThreatScore')).toBe('threat-score');
    expect(kebabOf('HostGroup')).toBe('host-group');
    expect(pluralOf('anomaly')).toBe('anomalies');
    expect(pluralOf('audit-check')).toBe('audit-checks');
    expect(pluralOf('host')).toBe('hosts');
  });
});
