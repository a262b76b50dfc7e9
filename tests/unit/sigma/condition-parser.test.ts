import { describe, expect, test } from 'vitest';
import { parseCondition, type Condition } from '../../../compiler/sigma/condition-parser.js';

function show(c: Condition): string {
  switch (c.k) {
    case 'ref': return c.name;
    case 'not': return `(not ${show(c.arg)})`;
    case 'of': return `(${c.quant} of ${c.pattern})`;
    default: return `(${c.args.map(show).join(` ${c.k} `)})`;
  }
}

function parsed(text: string): string {
  const r = parseCondition(text);
  if (!r.ok) throw new Error(r.error.detail);
  return show(r.condition);
}

describe('condition parser', () => {
  test('precedence is not > and > or', () => {
    expect(parsed('a or b and not c')).toBe('(a or (b and (not c)))');
    expect(parsed('not a and b or c')).toBe('(((not a) and b) or c)');
  });
  test('parentheses override precedence', () => {
    expect(parsed('(a or b) and c')).toBe('((a or b) and c)');
    expect(parsed('not (a or b)')).toBe('(not (a or b))');
  });
  test('keywords are case-insensitive', () => {
    expect(parsed('a AND NOT b OR c')).toBe('((a and (not b)) or c)');
  });
  test('quantifiers with patterns and them', () => {
    expect(parsed('1 of sel* and not all of filter_*')).toBe('((one of sel*) and (not (all of filter_*)))');
    expect(parsed('all of them')).toBe('(all of them)');
    expect(parsed('any of them')).toBe('(one of them)');
  });
  test.each([
    ['(a and b', 'unbalanced `(`', 0, 1],
    ['a and b)', 'unbalanced `)`', 7, 8],
    ['a and', 'unexpected end of condition', 5, 6],
    ['a b', 'unexpected `b`', 2, 3],
    ['1 of', 'expected a selection name', 4, 5],
    ['2 of sel*', 'only `1 of` and `all of`', 0, 1],
    ['a and or b', 'unexpected keyword `or`', 6, 8],
  ])('%s is an error at its offset', (text, detail, start, end) => {
    const r = parseCondition(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.detail).toContain(detail);
    expect([r.error.start, r.error.end]).toEqual([start, end]);
  });
  test('hostile nesting is an error, not a stack overflow', () => {
    const r = parseCondition('('.repeat(100_000) + 'a' + ')'.repeat(100_000));
    expect(r.ok === false && r.error.detail).toContain('nested more than');
    expect(parseCondition('not '.repeat(50_000) + 'a').ok).toBe(false);
  });
  test('a pipe is the retired aggregation syntax', () => {
    const r = parseCondition('sel | count() > 5');
    expect(r.ok === false && r.error.kind).toBe('aggregation');
  });
});
