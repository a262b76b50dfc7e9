import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtDigest, canonicalBytes, canonicalJson, freezeJson, isFrozenJson, rememberDigest, SharedPrefixEncoder, sha256Hex } from '../../../runtime/bundle/canonical.js';

/** The reference: the `canonicalize` package, or the error it throws. */
function reference(value: unknown): string {
  try {
    return canonicalize(value) ?? 'undefined';
  } catch {
    return 'throws';
  }
}

function fast(value: unknown): string {
  try {
    return canonicalJson(value);
  } catch {
    return 'throws';
  }
}

/** JSON values with every kind of UTF-16 string (lone surrogates included), -0 and huge or tiny numbers. */
const values = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme' }),
    fc.array(tie('value')),
    fc.dictionary(fc.string({ unit: 'binary' }), tie('value')),
    fc.dictionary(fc.string({ unit: 'binary' }), fc.option(tie('value'), { nil: undefined })),
  ),
})).value;

describe('fast canonical JSON against the canonicalize package', () => {
  it('gives exactly the same text (or refuses the same values) on random JSON', () => {
    fc.assert(fc.property(values, (v) => fast(v) === reference(v)), { numRuns: 3000 });
  });

  it('gives the same text for frozen (memoised) values, also when shared and serialized twice', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
      const want = reference({ a, b, list: [a, b, a] });
      const shared = freezeJson(structuredClone(a));
      const doc = { a: shared, b: freezeJson(structuredClone(b)), list: [shared, structuredClone(b), shared] };
      return fast(doc) === want && fast(doc) === want;
    }), { numRuns: 500 });
  });

  it('keeps RFC 8785 key order (UTF-16 code units, not code points)', () => {
    // RFC 8785 section 3.2.3 sorting example: U+1F600 (surrogates D83D DE00) sorts before U+FB33.
    const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    expect(canonicalJson(input)).toBe('{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}');
  });

  it('formats numbers as RFC 8785 Appendix B lists', () => {
    const cases: [string, string][] = [
      ['0000000000000000', '0'], ['8000000000000000', '0'], ['0000000000000001', '5e-324'], ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'], ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'], ['c340000000000000', '-9007199254740992'], ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'], ['44b52d02c7e14af6', '1e+23'], ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'], ['444b1ae4d6e2ef4f', '999999999999999900000'], ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'], ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'], ['41b3de4355555554', '333333333.33333325'], ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'], ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'], ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [hex, want] of cases) expect(canonicalJson(Buffer.from(hex, 'hex').readDoubleBE(0))).toBe(want);
    expect(() => canonicalJson(Buffer.from('7fffffffffffffff', 'hex').readDoubleBE(0))).toThrow();
    expect(() => canonicalJson(Buffer.from('7ff0000000000000', 'hex').readDoubleBE(0))).toThrow();
  });

  it('escapes strings as the RFC example shows', () => {
    const input = JSON.parse('{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}') as unknown;
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('refuses lone surrogates, cycles and values without a JSON form', () => {
    expect(() => canonicalJson('\ud800')).toThrow();
    expect(() => canonicalJson({ ['\udc00']: 1 })).toThrow();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalJson(cycle)).toThrow();
    expect(() => canonicalJson(10n)).toThrow();
    expect(canonicalJson({ a: undefined, b: [undefined] })).toBe('{"b":[null]}');
  });
});

describe('freezeJson', () => {
  it('deep-freezes plain data so a later change throws instead of silently changing a cached text', () => {
    const value = freezeJson({ rules: [{ id: 'a', tags: ['x'] }] });
    expect(isFrozenJson(value)).toBe(true);
    expect(canonicalJson(value)).toBe('{"rules":[{"id":"a","tags":["x"]}]}');
    expect(() => { (value.rules[0]!.tags as string[]).push('y'); }).toThrow(TypeError);
    expect(canonicalJson(value)).toBe('{"rules":[{"id":"a","tags":["x"]}]}');
  });

  it('refuses objects that are not plain data', () => {
    expect(() => freezeJson({ when: new Date(0) })).toThrow(TypeError);
    expect(isFrozenJson({})).toBe(false);
  });
});

describe('digests of built bytes', () => {
  it('uses a remembered digest for bytes built here, while sha256Hex always hashes', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    rememberDigest(bytes, 'remembered');
    expect(builtDigest(bytes)).toBe('remembered');
    expect(sha256Hex(bytes)).toBe(sha256Hex(new Uint8Array([1, 2, 3])));
    const other = new Uint8Array([4]);
    expect(builtDigest(other)).toBe(sha256Hex(other));
  });
});

describe('SharedPrefixEncoder', () => {
  it('gives exactly canonicalBytes and the right digest, whatever the other members', () => {
    const encoder = new SharedPrefixEncoder('content');
    const content = freezeJson({ rules: [{ id: 'r1', title: 'é' }, { id: 'r2' }] });
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.boolean(), (others, withContent) => {
      const value: Record<string, unknown> = { ...others };
      if (withContent) value.content = content;
      const bytes = encoder.encode(value);
      const want = canonicalBytes(value);
      return Buffer.compare(Buffer.from(bytes), Buffer.from(want)) === 0 && builtDigest(bytes) === sha256Hex(want);
    }), { numRuns: 500 });
  });

  it('shares the prefix of documents with equal first members', () => {
    const encoder = new SharedPrefixEncoder('content');
    const a = encoder.encode({ content: { x: [1, 2] }, group: 'a' });
    const b = encoder.encode({ group: 'b', content: { x: [1, 2] } });
    expect(Buffer.from(a).toString()).toBe('{"content":{"x":[1,2]},"group":"a"}');
    expect(Buffer.from(b).toString()).toBe('{"content":{"x":[1,2]},"group":"b"}');
    expect(builtDigest(b)).toBe(sha256Hex(Buffer.from('{"content":{"x":[1,2]},"group":"b"}')));
  });
});
