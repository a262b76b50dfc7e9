import { describe, expect, test } from 'vitest';
import { base64, base64Offsets, utf16, utf8, windash } from '../../../compiler/sigma/encodings.js';

describe('encoding modifiers', () => {
  test('base64offset gives the three shifted forms (pySigma values)', () => {
    expect(base64Offsets(utf8('foobar'))).toEqual(['Zm9vYmFy', 'Zvb2Jhc', 'mb29iYX']);
  });
  test('every shifted form occurs in a base64 text that embeds the value at that offset', () => {
    const value = 'Invoke-Mimikatz';
    const forms = base64Offsets(utf8(value));
    for (const prefix of ['', 'a', 'ab', 'abc', 'abcd']) {
      const enc = base64(utf8(prefix + value + 'tail'));
      expect(forms.some((f) => enc.includes(f)), prefix).toBe(true);
    }
  });
  test('utf16 encodings', () => {
    expect([...utf16('cmd', 'le')]).toEqual([0x63, 0, 0x6d, 0, 0x64, 0]);
    expect([...utf16('cmd', 'be')]).toEqual([0, 0x63, 0, 0x6d, 0, 0x64]);
    expect([...utf16('cmd', 'le', true)]).toEqual([0xff, 0xfe, 0x63, 0, 0x6d, 0, 0x64, 0]);
  });
  test('windash replaces flag dashes only', () => {
    const v = windash(' -enc ');
    expect(v).toEqual([' -enc ', ' /enc ', ' \u2013enc ', ' \u2014enc ', ' \u2015enc ']);
    expect(windash('a-b')).toEqual(['a-b']);
    expect(windash('-a -b')).toHaveLength(25);
  });
});
