import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { regexLiteral } from '../../../runtime/engine/regex-literal.js';
import { compileRegex } from '../../../runtime/engine/regex.js';

describe('regex literals for the prefilter', () => {
  test('reads the longest required run at the top level', () => {
    expect(regexLiteral('\\\\Windows\\\\__1\\d{9}\\.\\d{1,7}$', '')).toBe('\\windows\\__1');
    expect(regexLiteral('ab+c', '')).toBe('ab');
    expect(regexLiteral('xabc?d', '')).toBe('xab');
    expect(regexLiteral('(?:abc)+xy[a-z]{2}wxyz', '')).toBe('wxyz');
    expect(regexLiteral('a{0,2}bcd{1,}e', '')).toBe('bcd');
    expect(regexLiteral('Sys32', '')).toBe('sys32');
  });
  test('leaves out s under case-insensitive matching (RE2 folds U+017F to s)', () => {
    expect(regexLiteral('Sys32', 'i')).toBe('32');
    expect(regexLiteral('(?i)werfaultsecure', '')).toBe('werfault');
    const re = compileRegex('(?i)system', '');
    expect(re.ok && re.test('\u017Fystem')).toBe(true);
    expect(regexLiteral('(?i)system', '')).toBe('tem');
  });
  test('gives up on alternation, escapes with arguments and \\Q', () => {
    for (const p of ['abc|def', '\\x41bc', '\\p{L}abc', '\\Qabc\\E', 'a\\1bc', 'abc(de', 'abc[de', '*abc']) expect(regexLiteral(p, '')).toBeNull();
    expect(regexLiteral('.*\\d+', '')).toBeNull();
  });
  test('every string a pattern matches contains its literal once lowercased', () => {
    const atom = fc.constantFrom('a', 'b', 'S', 's', 'k', 'K', '.', '\\.', '\\d', '\\s', '\\\\', '[ab]', '[^a]', '(ab|c)', '(?:a)', '^', '$', '{', '}', ']', '-', '\u00e9');
    const quant = fc.constantFrom('', '', '', '*', '+', '?', '{2}', '{0,1}', '{1,3}', '*?', '+?');
    const pattern = fc.tuple(fc.constantFrom('', '(?i)'), fc.array(fc.tuple(atom, quant), { minLength: 1, maxLength: 8 })).map(([f, parts]) => f + parts.map(([a, q]) => a + q).join(''));
    const text = fc.array(fc.constantFrom('a', 'A', 'b', 'B', 's', 'S', '\u017F', 'k', 'K', '\u212A', '.', '\\', '1', ' ', '{', '}', ']', '-', '\u00e9', '\u00c9'), { maxLength: 16 }).map((p) => p.join(''));
    let checked = 0;
    fc.assert(
      fc.property(pattern, fc.constantFrom('', 'i'), fc.array(text, { maxLength: 8 }), (p, flags, texts) => {
        const re = compileRegex(p, flags);
        const lit = regexLiteral(p, flags);
        if (!re.ok || lit === null) return;
        for (const t of texts) {
          if (!re.test(t)) continue;
          checked++;
          expect(t.toLowerCase()).toContain(lit);
        }
      }),
      { numRuns: 3000 },
    );
    // The property is only worth something if many generated strings match.
    expect(checked).toBeGreaterThan(150);
  });
});
