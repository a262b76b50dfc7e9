import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FieldAutomaton } from '../../../runtime/engine/prefilter.js';

/** Needle indexes the automaton reports for `text` (each needle targets its own index). */
function found(automaton: FieldAutomaton, size: number, text: string): number[] {
  const hits = new Int32Array(size).fill(-1);
  automaton.scan(text, hits, 3);
  return [...hits.keys()].filter((i) => hits[i] === 3);
}

describe('field automaton', () => {
  test('reports needles that end inside others and share targets', () => {
    const a = new FieldAutomaton(['he', 'she', 'hers', '.exe'], [[0], [1], [2, 3], [3]]);
    expect(found(a, 4, 'ushers')).toEqual([0, 1, 2, 3]);
    expect(found(a, 4, 'she')).toEqual([0, 1]);
    expect(found(a, 4, 'cmd.exe')).toEqual([3]);
    expect(found(a, 4, 'h e')).toEqual([]);
  });
  test('finds exactly the needles includes() finds, small and large automata', () => {
    const unit = fc.constantFrom('a', 'b', 'c', '\\', '.', '\u00e9', '\ud83d', '\ude00');
    const str = (min: number, max: number) => fc.array(unit, { minLength: min, maxLength: max }).map((p) => p.join(''));
    fc.assert(
      fc.property(fc.uniqueArray(str(1, 5), { minLength: 1, maxLength: 20 }), fc.array(str(0, 30), { maxLength: 4 }), (needles, texts) => {
        const a = new FieldAutomaton(needles, needles.map((_, i) => [i]));
        for (const t of texts) expect(found(a, needles.length, t)).toEqual(needles.flatMap((n, i) => (t.includes(n) ? [i] : [])));
      }),
      { numRuns: 400 },
    );
    // More than 2^15 states: the table switches to 32-bit entries.
    const many = Array.from({ length: 4000 }, (_, i) => `k${(i * 7919).toString(36)}x${i.toString(36)}yzw`);
    const big = new FieldAutomaton(many, many.map((_, i) => [i]));
    expect(big.states).toBeGreaterThan(0x8000);
    expect(found(big, many.length, `..${many[3999]}..${many[17]}`)).toEqual([17, 3999]);
  });
});
