import { TargetFile } from '@tufjs/models';
import { describe, expect, it } from 'vitest';
import { checkPackTargets } from '../../../runtime/bundle/check-bundle.js';
import { canonicalBytes, sha256Hex } from '../../../runtime/bundle/canonical.js';
import type { BundleDocument } from '../../../runtime/bundle/envelope.js';
import { parsePack, resolveRulePacks, rulePackRefs, type RulePackRef } from '../../../runtime/bundle/rule-packs.js';
import { packBundle, packCount, packRules } from '../../../runtime/bundle/pack-rules.js';

/** `n` distinct rules with ids r0000…, each a little different. */
function rules(n: number, level = 'low'): { id: string; level: string }[] {
  return Array.from({ length: n }, (_, i) => ({ id: `r${String(i).padStart(4, '0')}`, level }));
}

const digests = (list: readonly { ref: RulePackRef }[]) => list.map((p) => p.ref.sha256).sort();

describe('rule packs', () => {
  it('chooses a power-of-two pack count that only changes at powers of two', () => {
    expect([0, 1, 64, 65, 128, 129, 2407, 10_000_000].map(packCount)).toEqual([1, 1, 1, 2, 2, 4, 64, 1024]);
  });

  it('changes exactly one pack when one rule changes, is added or is removed', () => {
    const base = rules(300);
    const before = packRules(base, 1);
    expect(before.length).toBeGreaterThan(4);
    expect(before.reduce((n, p) => n + p.ref.rules, 0)).toBe(300);
    const changed = base.map((r, i) => (i === 123 ? { ...r, level: 'high' } : r));
    const added = [...base, { id: 'r0300x', level: 'low' }];
    const removed = base.filter((_, i) => i !== 7);
    for (const next of [changed, added, removed]) {
      const after = digests(packRules(next, 1));
      const old = new Set(digests(before));
      expect(after.filter((d) => !old.has(d))).toHaveLength(1);
      expect(after.length).toBe(before.length);
    }
  });

  it('names each pack by its digest and gives the same bytes for the same rules in any order', () => {
    const a = packRules(rules(200), 1);
    const b = packRules([...rules(200)].reverse(), 1);
    expect(a.map((p) => Buffer.from(p.bytes).toString())).toEqual(b.map((p) => Buffer.from(p.bytes).toString()));
    for (const p of a) {
      expect(p.ref).toEqual({ path: `packs/${sha256Hex(p.bytes)}`, sha256: sha256Hex(p.bytes), length: p.bytes.length, rules: p.ref.rules });
    }
  });

  it('moves a document\'s rules into packs and back, declaring the rule-packs feature', () => {
    const doc = { irVersion: 1, features: ['self-test'], group: 'g1', content: { rules: rules(150), selfTests: [] } };
    const packed = packBundle(doc);
    const published = packed.document as BundleDocument;
    expect(published.features).toEqual(['rule-packs', 'self-test']);
    expect(published.content.rules).toBeUndefined();
    expect(rulePackRefs(published.content)).toHaveLength(packed.packs.length);
    const byDigest = new Map(packed.packs.map((p) => [p.ref.sha256, p.bytes]));
    const resolved = resolveRulePacks(published, (sha) => byDigest.get(sha));
    expect(resolved).toEqual({ ...published, content: { selfTests: [], rules: rules(150) } });
  });

  it('refuses a missing pack, altered bytes, a wrong count or IR version, and malformed references', () => {
    const packed = packBundle({ irVersion: 1, features: [], group: 'g1', content: { rules: rules(3) } });
    const doc = packed.document as BundleDocument;
    const [pack] = packed.packs;
    if (!pack) throw new Error('no pack');
    expect(resolveRulePacks(doc, () => undefined)).toMatch(/is missing/);
    const flipped = Uint8Array.from(pack.bytes);
    flipped[5] = (flipped[5] as number) ^ 1;
    expect(parsePack(flipped, pack.ref, 1)).toMatch(/digest and length/);
    expect(parsePack(pack.bytes, pack.ref, 2)).toMatch(/IR version 1, its bundle 2/);
    expect(parsePack(pack.bytes, { ...pack.ref, rules: 4 }, 1)).toMatch(/holds 3 rules, the bundle records 4/);
    const notJson = new TextEncoder().encode('{"rules":[');
    expect(parsePack(notJson, { path: `packs/${sha256Hex(notJson)}`, sha256: sha256Hex(notJson), length: notJson.length, rules: 0 }, 1)).toMatch(/not JSON/);
    const extra = canonicalBytes({ irVersion: 1, rules: [], run: 'rm -rf /' });
    expect(parsePack(extra, { path: `packs/${sha256Hex(extra)}`, sha256: sha256Hex(extra), length: extra.length, rules: 0 }, 1)).toMatch(/must be \{irVersion, rules/);
    expect(rulePackRefs({ rulePacks: {} })).toMatch(/must be an array/);
    expect(rulePackRefs({ rulePacks: [{ path: '../../etc/passwd', sha256: 'a'.repeat(64), length: 1, rules: 1 }] })).toMatch(/rulePacks\[0\]/);
    expect(rulePackRefs({ rulePacks: [pack.ref, pack.ref] })).toMatch(/twice/);
    expect(rulePackRefs({ rules: [], rulePacks: [] })).toMatch(/only one of them/);
    // Packs beside an IR document would be checked, then ignored by an agent that reads `detection`.
    expect(rulePackRefs({ detection: { version: 1, rules: [] }, rulePacks: [] })).toMatch(/only one of them/);
    expect(resolveRulePacks({ ...doc, features: [] }, () => undefined)).toMatch(/must declare the `rule-packs` feature/);
  });
});

describe('checkPackTargets', () => {
  const packed = packBundle({ irVersion: 1, features: [], group: 'g1', content: { rules: rules(3) } });
  const doc = packed.document as BundleDocument;
  const [pack] = packed.packs;
  if (!pack) throw new Error('no pack');
  const entry = (length: number, sha256: string) => new TargetFile({ path: pack.ref.path, length, hashes: { sha256 } });

  it('accepts packs listed in the signed targets with the pinned length and digest', () => {
    expect(checkPackTargets(doc, { [pack.ref.path]: entry(pack.ref.length, pack.ref.sha256) })).toEqual([pack.ref]);
  });

  it('refuses a pinned pack that targets.json does not list (VR1014) or lists with other bytes (VR1009)', () => {
    expect(checkPackTargets(doc, {})).toMatchObject({ code: 'VR1014', file: `targets/${pack.ref.path}` });
    expect(checkPackTargets(doc, { [pack.ref.path]: entry(pack.ref.length + 1, pack.ref.sha256) })).toMatchObject({ code: 'VR1009', file: `targets/${pack.ref.path}` });
    expect(checkPackTargets(doc, { [pack.ref.path]: entry(pack.ref.length, 'f'.repeat(64)) })).toMatchObject({ code: 'VR1009' });
  });

  it('refuses a malformed pin list as a bundle the agent cannot load (VR1016)', () => {
    const bad = { ...doc, content: { rulePacks: 'everything' } } as BundleDocument;
    expect(checkPackTargets(bad, {})).toMatchObject({ code: 'VR1016', file: 'targets/groups/g1/bundle.json' });
  });
});
