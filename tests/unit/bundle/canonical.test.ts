import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../../runtime/bundle/canonical.js';

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units, drops whitespace and formats numbers as ECMAScript does', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: true, c: null }], '€': 'x', '\u0080': 'y' })).toBe('{"a":[3,{"c":null,"d":true}],"b":1,"\u0080":"y","€":"x"}');
    expect(canonicalJson([1e21, 0.1, -0, 100, 1.5e-7])).toBe('[1e+21,0.1,0,100,1.5e-7]');
    expect(canonicalJson('\u2028"\n')).toBe('"\u2028\\"\\n"');
  });

  it('gives the same text whatever the key order', () => {
    expect(canonicalJson({ x: 1, y: { b: 2, a: 1 } })).toBe(canonicalJson({ y: { a: 1, b: 2 }, x: 1 }));
  });

  it('refuses values JSON cannot represent', () => {
    expect(() => canonicalJson(undefined)).toThrow();
    expect(() => canonicalJson(Number.NaN)).toThrow();
  });

  it('hashes with SHA-256', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
