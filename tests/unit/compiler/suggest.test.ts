import { describe, expect, test } from 'vitest';
import { didYouMean, suggest } from '../../../compiler/diagnostics/suggest.js';

describe('suggest', () => {
  test('ranks by edit distance, at most three, case differences first', () => {
    expect(suggest('windw', ['window', 'key', 'threshold', 'windows'])).toEqual(['window', 'windows']);
    expect(suggest('host', ['Host', 'hosts', 'ghost', 'post', 'most'])).toEqual(['Host', 'ghost', 'hosts']);
    expect(suggest('zzzzzz', ['window'])).toEqual([]);
  });

  test('formats the hint', () => {
    expect(didYouMean([])).toBeUndefined();
    expect(didYouMean(['a'])).toBe('did you mean `a`?');
    expect(didYouMean(['a', 'b', 'c'])).toBe('did you mean `a`, `b` or `c`?');
  });
});
