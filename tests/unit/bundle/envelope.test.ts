import { describe, expect, it } from 'vitest';
import { bundleDocumentProblems, unsupportedReason, type BundleDocument } from '../../../runtime/bundle/envelope.js';
import { loadSchemaFiles, strictAjv } from '../schema/schema-set.js';

const ajv = strictAjv(loadSchemaFiles().values());
const validate = ajv.getSchema('https://vigil.dev/schema/v1/bundle.schema.json');

const cases: [string, unknown][] = [
  ['minimal', { irVersion: 1, features: [], group: 'g1', content: {} }],
  ['with ring and features', { irVersion: 2, features: ['sigma.correlation'], group: 'dc-01', ring: 'canary', content: { rules: [] } }],
  ['unknown field', { irVersion: 1, features: [], group: 'g1', content: {}, extra: 1 }],
  ['zero version', { irVersion: 0, features: [], group: 'g1', content: {} }],
  ['traversal group', { irVersion: 1, features: [], group: '..', content: {} }],
  ['dots group', { irVersion: 1, features: [], group: 'a..b', content: {} }],
  ['duplicate feature', { irVersion: 1, features: ['a', 'a'], group: 'g1', content: {} }],
  ['upper-case feature', { irVersion: 1, features: ['A'], group: 'g1', content: {} }],
  ['content array', { irVersion: 1, features: [], group: 'g1', content: [] }],
  ['missing content', { irVersion: 1, features: [], group: 'g1' }],
  ['not an object', [1]],
];

describe('bundle envelope', () => {
  it('agrees with schema/bundle.schema.json on every case', () => {
    expect(validate).toBeDefined();
    for (const [name, doc] of cases) expect(bundleDocumentProblems(doc).length === 0, name).toBe(validate?.(doc) === true);
    expect(cases.filter(([, d]) => bundleDocumentProblems(d).length === 0)).toHaveLength(2);
  });

  it('refuses IR versions and features the agent does not know', () => {
    const doc: BundleDocument = { irVersion: 2, features: ['x'], group: 'g', content: {} };
    expect(unsupportedReason(doc, { irVersions: [1] })).toMatch(/IR version 2/);
    expect(unsupportedReason(doc, { irVersions: [2], features: ['y'] })).toMatch(/`x`/);
    expect(unsupportedReason(doc, { irVersions: [2], features: ['x'] })).toBeUndefined();
  });
});
