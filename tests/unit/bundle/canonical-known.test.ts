import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalJson, canonicalMembers, freezeCanonicalObject, freezeJson, isFrozenJson, type LazyMember } from '../../../runtime/bundle/canonical.js';

/** Frozen data rebuilt from known canonical bytes (the compile cache): lazy members, bytes copied as they are. */

const rule = { type: 'detection', id: 'r1', title: 'Tool – with an en dash', level: 'high', variants: [{ channels: ['security'], condition: { op: 'field', field: 'Image', tests: [{ t: 'str', m: 'endswith', v: '\\x–.exe' }] } }], attribution: { author: 'Ünïcode Author', references: ['https://example.com/a'] } };

/** What the cache stores: members up to `limit` bytes in the header, longer ones left in the bytes. */
function rebuild(value: object, limit: number): object {
  const { bytes, members } = canonicalMembers(value);
  const eager: Record<string, unknown> = {};
  const lazy: LazyMember[] = [];
  members.forEach(([key, start, end], position) => {
    if (end - start > limit) lazy.push([position, key, start, end]);
    else eager[key] = JSON.parse(Buffer.from(bytes.subarray(start, end)).toString('utf8')) as unknown;
  });
  return freezeCanonicalObject(Uint8Array.from(bytes), eager, lazy);
}

describe('canonicalMembers', () => {
  it('gives the canonical bytes and the byte range of every member value', () => {
    const { bytes, members } = canonicalMembers(rule);
    const text = canonicalJson(rule);
    expect(Buffer.from(bytes).toString('utf8')).toBe(text);
    expect(members.map(([k]) => k)).toEqual(Object.keys(rule).sort());
    for (const [key, start, end] of members) expect(Buffer.from(bytes.subarray(start, end)).toString('utf8')).toBe(canonicalJson((rule as Record<string, unknown>)[key]));
  });
});

describe('freezeCanonicalObject', () => {
  it('equals the parsed value, members in canonical order, whatever is lazy', () => {
    for (const limit of [0, 20, 1000]) {
      const rebuilt = rebuild(rule, limit);
      expect(Object.keys(rebuilt)).toEqual(Object.keys(rule).sort());
      expect(rebuilt).toEqual(rule);
      expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(JSON.parse(canonicalJson(rule))));
    }
  });

  it('encodes from the known bytes, as text or bytes, inside other values too', () => {
    const rebuilt = rebuild(rule, 20);
    expect(isFrozenJson(rebuilt)).toBe(true);
    expect(canonicalJson(rebuilt)).toBe(canonicalJson(rule));
    const outer = { irVersion: 1, rules: [rebuilt, rebuild({ ...rule, id: 'r2' }, 0)], z: 'ü' };
    const plain = { irVersion: 1, rules: [rule, { ...rule, id: 'r2' }], z: 'ü' };
    expect(Buffer.from(canonicalBytes(outer)).toString('utf8')).toBe(canonicalJson(plain));
    expect(canonicalBytes(outer)).toEqual(canonicalBytes(plain));
    expect(canonicalJson(outer)).toBe(canonicalJson(plain));
    expect(canonicalBytes(rebuilt)).toEqual(canonicalBytes(rule));
  });

  it('parses a lazy member once, and everything is frozen', () => {
    const rebuilt = rebuild(rule, 20) as typeof rule;
    const first = rebuilt.variants;
    expect(rebuilt.variants).toBe(first);
    expect(Object.isFrozen(rebuilt) && Object.isFrozen(first) && Object.isFrozen(first[0]!.condition) && Object.isFrozen(rebuilt.attribution)).toBe(true);
    expect(() => {
      (rebuilt as { id: string }).id = 'other';
    }).toThrow(TypeError);
    // A frozen structure holding it does not force its lazy members (freezeJson skips frozen roots).
    const again = rebuild(rule, 20);
    freezeJson([again]);
    expect(canonicalJson(again)).toBe(canonicalJson(rule));
  });

  it('refuses member positions that do not fit', () => {
    const { bytes } = canonicalMembers(rule);
    expect(() => freezeCanonicalObject(bytes, { id: 'r1' }, [[5, 'variants', 1, 2]])).toThrow();
  });
});

describe('large memoised texts', () => {
  it('are spliced as bytes after their first encoding, with the same output as text or bytes', () => {
    const inputs = freezeJson(Array.from({ length: 400 }, (_, i) => ({ path: `rules/ü-${i}.yml`, digest: { sha256: 'a'.repeat(64) } })));
    const plain = JSON.parse(JSON.stringify(inputs)) as unknown;
    const statement = (group: string, list: unknown) => ({ predicate: { group, inputs: list }, subject: [{ name: group }] });
    expect(canonicalJson(inputs).length).toBeGreaterThan(16384);
    for (const group of ['g1', 'g2', 'g3']) {
      const bytes = canonicalBytes(statement(group, inputs));
      expect(bytes).toEqual(canonicalBytes(statement(group, plain)));
      expect(Buffer.from(bytes).toString('utf8')).toBe(canonicalJson(statement(group, plain)));
      expect(canonicalJson(statement(group, inputs))).toBe(canonicalJson(statement(group, plain)));
    }
  });
});
