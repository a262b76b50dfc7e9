import { describe, expect, it } from 'vitest';
import { canonicalJson, freezeJson, freezeJsonCanonicalLazy, isFrozenJson } from '../../../runtime/bundle/canonical.js';

/** freezeJsonCanonicalLazy: a cached rule whose last member is parsed on first access. */

const rule = { id: 'r1', title: 'T', type: 'detection', variants: [{ channels: ['security'], condition: { op: 'field', field: 'Image', tests: [{ t: 'str', m: 'endswith', v: '\\x.exe' }] } }] };
const text = canonicalJson(rule);
const variantsLength = canonicalJson(rule.variants).length;

describe('freezeJsonCanonicalLazy', () => {
  it('gives an object equal to the parsed text, with members in canonical order', () => {
    const lazy = freezeJsonCanonicalLazy(text, 'variants', variantsLength) as typeof rule;
    expect(Object.keys(lazy)).toEqual(['id', 'title', 'type', 'variants']);
    expect(lazy).toEqual(JSON.parse(text));
    expect(JSON.stringify(lazy)).toBe(JSON.stringify(JSON.parse(text)));
  });

  it('serializes from the known text, parses the member once and freezes everything', () => {
    const lazy = freezeJsonCanonicalLazy(text, 'variants', variantsLength) as typeof rule;
    expect(isFrozenJson(lazy)).toBe(true);
    expect(canonicalJson({ rules: [lazy] })).toBe(`{"rules":[${text}]}`);
    const first = lazy.variants;
    expect(lazy.variants).toBe(first);
    expect(Object.isFrozen(lazy) && Object.isFrozen(first) && Object.isFrozen(first[0]!.condition)).toBe(true);
    expect(() => {
      (lazy as { id: string }).id = 'other';
    }).toThrow(TypeError);
    // A frozen structure holding it does not force the member (freezeJson skips frozen roots).
    const again = freezeJsonCanonicalLazy(text, 'variants', variantsLength) as typeof rule;
    freezeJson([again]);
    expect(canonicalJson(again)).toBe(text);
  });

  it('refuses a text that does not end with the member', () => {
    expect(() => freezeJsonCanonicalLazy(text, 'variants', variantsLength + 1)).toThrow();
    expect(() => freezeJsonCanonicalLazy(text, 'title', 3)).toThrow();
    expect(() => freezeJsonCanonicalLazy('[1,2]', 'variants', 1)).toThrow();
  });
});
