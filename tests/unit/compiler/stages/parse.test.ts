import { describe, expect, test } from 'vitest';
import { codesOf, compileFiles, HOST, spanText } from '../fixture.js';

describe('parse', () => {
  test('reports syntax errors, duplicate keys (with the first key as related) and unresolved aliases', async () => {
    const r = await compileFiles({ 'a.yaml': 'a: [1\n', 'b.yaml': 'k: 1\nj: 2\nk: 3\n', 'c.yaml': 'a: *nope\n' }, 'parse');
    expect(codesOf(r)).toEqual(['VG1001 a.yaml', 'VG1002 b.yaml', 'VG1004 c.yaml']);
    const dup = r.report.diagnostics[1]!;
    expect(dup.span.start).toBe(10);
    expect(dup.related?.[0]?.span.start).toBe(0);
    expect(spanText(r, 2)).toBe('*nope');
  });

  test('reads multi-document files and reports nothing for valid YAML', async () => {
    const r = await compileFiles({ 'hosts.yaml': `${HOST('a')}---\n${HOST('b')}` }, 'classify');
    expect(r.report.diagnostics).toEqual([]);
  });

  test('stops an alias bomb and reports a file with only comments as empty', async () => {
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x,x]', ...'bcdefg'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefg'[i]}`).join(',')}]`)].join('\n');
    const r = await compileFiles({ 'bomb.yaml': bomb, 'empty.yaml': '# only a comment\n' }, 'parse');
    expect(codesOf(r)).toEqual(['VG1003 bomb.yaml', 'VG1009 empty.yaml']);
  });
});
