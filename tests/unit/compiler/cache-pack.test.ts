import { describe, expect, it } from 'vitest';
import { decodeFile, decodePack, encodeFile, encodePack, type PackKey } from '../../../compiler/cache-pack.js';
import type { CachedDoc } from '../../../compiler/cache.js';
import type { Rule } from '../../../runtime/engine/ir.js';
import { canonicalBytes, canonicalJson, freezeJson } from '../../../runtime/bundle/canonical.js';

/** The compile cache's pack format (compiler/cache-pack.ts): what comes back equals what went in. */

const key: PackKey = { format: 2, fingerprint: 'f'.repeat(64), settings: 's'.repeat(64), origin: 'worktree\0/repo' };

const data = {
  title: 'Suspicious – tool',
  id: '11111111-1111-4111-8111-111111111111',
  description: 'A long description that is certainly longer than the lazy threshold of the pack format.\n',
  '2': 'an integer-like key',
  tags: ['attack.execution'],
  detection: { selection: { 'Image|endswith': ['\\a.exe', '\\b.exe', '\\c.exe', '\\d.exe', '\\e.exe', '\\f.exe'] }, condition: 'selection' },
  level: 'high',
};

const ir = freezeJson({
  type: 'detection',
  id: data.id,
  title: data.title,
  level: 'high',
  attribution: { author: 'Ünïcode', references: ['https://example.com/some/long/reference/path/that/is/long'], source: 'rules/a.yml' },
  variants: [{ channels: ['security'], condition: { op: 'field', field: 'Image', tests: [{ t: 'str', m: 'endswith', v: '\\a–.exe' }] } }],
}) as unknown as Rule;

const docs: CachedDoc[] = [
  { index: 0, kind: 'SigmaRule', name: data.id, nameSpan: { start: 3, end: 39 }, data, sigma: { type: 'rule', id: data.id, title: data.title, ir } },
  { index: 1, kind: 'HostGroup', name: 'g1', nameSpan: { start: 80, end: 82 }, data: { apiVersion: 'vigil/v1', kind: 'HostGroup', metadata: { name: 'g1' } } },
];

function roundTrip(): CachedDoc[] {
  const stored = encodeFile('d'.repeat(64), docs)!;
  const pack = decodePack(encodePack(new Map([['rules/a.yml', stored]]), key), key)!.files;
  return decodeFile(pack.get('rules/a.yml')!)!;
}

describe('cache pack', () => {
  it('gives back equal documents, with member order kept and the same canonical IR bytes', () => {
    const back = roundTrip();
    expect(back).toEqual(docs);
    expect(Object.keys(back[0]!.data)).toEqual(Object.keys(data));
    expect(JSON.stringify(back[0]!.data)).toBe(JSON.stringify(data));
    const rule = back[0]!.sigma!.ir;
    expect(canonicalBytes({ rules: [rule] })).toEqual(canonicalBytes({ rules: [ir] }));
    expect(canonicalJson(rule)).toBe(canonicalJson(ir));
    expect(Object.isFrozen(rule)).toBe(true);
  });

  it('gives plain, writable values whose long members read like any other', () => {
    const value = roundTrip()[0]!.data as Record<string, unknown>;
    expect(value.detection).toEqual(data.detection);
    value.description = 'changed';
    expect(value.description).toBe('changed');
    expect(Object.keys(value)).toEqual(Object.keys(data));
    expect({ ...value }).toEqual({ ...data, description: 'changed' });
  });

  it('copies a kept file unchanged into the next pack', () => {
    const stored = encodeFile('d'.repeat(64), docs)!;
    const first = encodePack(new Map([['rules/a.yml', stored]]), key);
    const kept = decodePack(first, key)!.files.get('rules/a.yml')!;
    expect(encodePack(new Map([['rules/a.yml', kept]]), key)).toEqual(first);
  });

  it('keeps the parsed pipeline it is given, if JSON carries it exactly', () => {
    const pipeline = { name: 'windows', fieldMap: {}, logsources: [{ logsource: { product: 'windows' }, variants: [{ eventIds: [1], fieldMap: { Image: 'NewProcessName' } }] }] };
    expect(decodePack(encodePack(new Map(), key, pipeline), key)!.pipeline).toEqual(pipeline);
    expect(decodePack(encodePack(new Map(), key, { eventIds: [Infinity] }), key)!.pipeline).toBeNull();
    expect(decodePack(encodePack(new Map(), key), key)!.pipeline).toBeNull();
  });

  it('refuses a damaged pack or one built for another key', () => {
    const bytes = encodePack(new Map([['rules/a.yml', encodeFile('d'.repeat(64), docs)!]]), key);
    expect(decodePack(bytes, { ...key, settings: 't'.repeat(64) })).toBeUndefined();
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 5] = (damaged[damaged.length - 5] ?? 0) ^ 1;
    expect(decodePack(damaged, key)).toBeUndefined();
    expect(decodePack(bytes.subarray(0, bytes.length - 1), key)).toBeUndefined();
    expect(decodePack(new Uint8Array(0), key)).toBeUndefined();
  });

  it('does not store a value JSON would change', () => {
    expect(encodeFile('d'.repeat(64), [{ ...docs[1]!, data: { n: Infinity } }])).toBeUndefined();
  });

  it('leaves out, without throwing, a file whose IR canonical JSON cannot encode', () => {
    for (const title of ['lone \ud800 surrogate', 'fine']) {
      const bad = freezeJson({ ...(ir as unknown as Record<string, unknown>), title, ...(title === 'fine' ? { level: Infinity } : {}) }) as unknown as Rule;
      const sigma = { type: 'rule' as const, id: data.id, title, ir: bad };
      expect(encodeFile('d'.repeat(64), [{ ...docs[0]!, sigma }])).toBeUndefined();
    }
  });
});
