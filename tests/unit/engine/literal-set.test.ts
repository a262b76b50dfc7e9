import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { anyContains } from '../../../runtime/engine/literal-set.js';
import { EventView, FieldTable } from '../../../runtime/engine/event-view.js';
import { buildMatcher } from '../../../runtime/engine/matchers.js';
import type { Test } from '../../../runtime/engine/ir.js';

const loop = (needles: string[]) => (s: string) => needles.some((n) => s.includes(n));

describe('anyContains', () => {
  test('answers like one includes() per literal, on random text and literals', () => {
    const unit = fc.constantFrom('a', 'b', 'c', '\\', '\u00e9', '\ud83d\ude00', '\ud83d', '\u2192', '\ufe0f');
    const str = (max: number) => fc.array(unit, { minLength: 1, maxLength: max }).map((p) => p.join(''));
    fc.assert(
      fc.property(fc.array(str(4), { minLength: 1, maxLength: 12 }), fc.array(str(20), { maxLength: 5 }), (needles, texts) => {
        const any = anyContains(needles);
        const want = loop(needles);
        for (const t of [...texts, '', needles[0]!]) expect(any(t)).toBe(want(t));
      }),
      { numRuns: 500 },
    );
  });
  test('an empty literal is in every string; lists too large for a DFA keep the loop', () => {
    expect(anyContains(['abc', ''])('')).toBe(true);
    const hashes = Array.from({ length: 20000 }, (_, i) => `imphash=${(i * 2654435761).toString(16).padStart(32, '0')}`);
    const any = anyContains(hashes);
    expect(any(`x ${hashes[12345]} y`)).toBe(true);
    expect(any('imphash=0000')).toBe(false);
  });
});

describe('field tests with long literal lists', () => {
  const matches = (tests: Test[], value: unknown): boolean => {
    const fields = new FieldTable();
    const m = buildMatcher(fields, { op: 'field', field: 'F', tests });
    const view = new EventView(fields);
    view.reset({ F: value });
    return m(view);
  };
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
  test('contains lists match any literal, lowercased unless cased, mixed with other tests', () => {
    const tests: Test[] = [...words.map((v): Test => ({ t: 'str', m: 'contains', v })), { t: 'str', m: 'endswith', v: '.exe' }];
    expect(matches(tests, 'x THETA y')).toBe(true);
    expect(matches(tests, 'run.EXE')).toBe(true);
    expect(matches(tests, 'iota')).toBe(false);
    expect(matches(tests, ['iota', 'Zeta'])).toBe(true);
    expect(matches(tests, 31337)).toBe(false);
    const cased = words.map((v): Test => ({ t: 'str', m: 'contains', v: v.toUpperCase(), cased: true }));
    expect(matches(cased, 'x THETA')).toBe(true);
    expect(matches(cased, 'x theta')).toBe(false);
  });
  test('eq lists match whole values only, numbers by their string form', () => {
    const tests = ['10', '20', 'abc', 'def'].map((v): Test => ({ t: 'str', m: 'eq', v }));
    expect(matches(tests, 'ABC')).toBe(true);
    expect(matches(tests, 'abcd')).toBe(false);
    expect(matches(tests, 20)).toBe(true);
    expect(matches(tests, undefined)).toBe(false);
  });
});
