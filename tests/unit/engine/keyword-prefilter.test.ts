import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compileRuleSet } from '../../../runtime/engine/evaluate.js';
import { KeywordScanner } from '../../../runtime/engine/keyword-scan.js';
import { literalAtoms } from '../../../runtime/engine/keyword-prefilter.js';
import type { DetectionRule, Expr, Test } from '../../../runtime/engine/ir.js';

const contains = (v: string): Test => ({ t: 'str', m: 'contains', v });
const keywords = (...tests: Test[]): Expr => ({ op: 'keyword', tests });

function rule(id: string, condition: Expr, scope: { channels?: string[]; eventIds?: number[] } = {}): DetectionRule {
  return { type: 'detection', id, title: id, logsource: {}, attribution: {}, variants: [{ ...scope, condition }] };
}

/** The rule ids an event matches, and how many variant conditions were tested for it. */
function run(rules: DetectionRule[], event: unknown, prefilter = true): { ids: string[]; tests: number } {
  const set = compileRuleSet(rules, { prefilter });
  const ids: string[] = [];
  set.evaluate(event, (i) => ids.push(set.rules[i]!.id));
  return { ids, tests: set.stats.tests };
}

const mimikatz = rule('mimikatz', {
  op: 'and',
  args: [keywords(contains('sekurlsa::'), contains('lsadump::'), contains('gentilkiwi.com')), { op: 'not', arg: { op: 'field', field: 'EventID', tests: [{ t: 'num', op: 'eq', v: 15 }] } }],
});

describe('keyword prefilter', () => {
  test('a keyword rule is tested and matches when its literal occurs anywhere, in any case', () => {
    for (const event of [
      { EventID: 1, CommandLine: 'mimikatz.exe "SEKURLSA::logonpasswords"' },
      { EventID: 1, Message: 'see https://GentilKiwi.com/x' },
      { EventID: 1, Data: [{ '#text': 'x' }, ['deep', { more: 'lsaDump::sam' }]] },
      { Event: { System: { EventID: 4688 }, EventData: { CommandLine: 'x sekurlsa::pth' } } },
    ]) {
      const r = run([mimikatz], event);
      expect(r.ids).toEqual(['mimikatz']);
      expect(r.tests).toBe(1);
    }
  });
  test('a keyword rule is not tested when none of its literals occurs', () => {
    expect(run([mimikatz], { EventID: 1, CommandLine: 'sekurlsa: : and lsadump:' })).toEqual({ ids: [], tests: 0 });
    expect(run([mimikatz], { EventID: 1, A: 'sekurls', B: 'a::' })).toEqual({ ids: [], tests: 0 });
  });
  test('the rest of the condition still applies after a prefilter hit', () => {
    expect(run([mimikatz], { EventID: 15, CommandLine: 'sekurlsa::x' })).toEqual({ ids: [], tests: 1 });
  });
  test('numbers and booleans are scalars keywords can find', () => {
    const num = rule('num', keywords(contains('31337')));
    expect(run([num], { EventID: 1, Port: 31337 }).ids).toEqual(['num']);
    expect(run([num], { EventID: 1, Nested: { list: [1, 2, 731337.5] } }).ids).toEqual(['num']);
    expect(run([num], { EventID: 1, Port: 3133 })).toEqual({ ids: [], tests: 0 });
    const bool = rule('bool', keywords(contains('true')));
    expect(run([bool], { Flag: true }).ids).toEqual(['bool']);
    expect(run([bool], { Flag: false })).toEqual({ ids: [], tests: 0 });
  });
  test('keyword globs and cased tests are prefiltered by their literals', () => {
    const glob = rule('glob', keywords({ t: 'glob', v: '*invoke-*mimi*' }));
    expect(run([glob], { Script: 'IEX; Invoke-Mimikatz' }).ids).toEqual(['glob']);
    expect(run([glob], { Script: 'Invoke Mimikatz' })).toEqual({ ids: [], tests: 0 });
    expect(run([glob], { Script: 'Invoke-Other' })).toEqual({ ids: [], tests: 1 });
    const cased = rule('cased', keywords({ t: 'str', m: 'contains', v: 'Mimi', cased: true }));
    expect(run([cased], { A: 'xMimi' }).ids).toEqual(['cased']);
    expect(run([cased], { A: 'xMIMI' })).toEqual({ ids: [], tests: 1 });
  });
  test('characters that lowercase to ASCII letters (Kelvin sign, dotted I) still reach the matcher', () => {
    // The glob matcher compares lowercased values: U+212A lowercases to `k`, U+0130 to `i` + U+0307.
    const kiwi = rule('kiwi', keywords({ t: 'glob', v: '*kiwi*' }));
    expect(run([kiwi], { A: '\u212Aiwi' }).ids).toEqual(['kiwi']);
    expect(run([kiwi], { A: 'k\u0130wi' }).ids).toEqual(run([kiwi], { A: 'k\u0130wi' }, false).ids);
  });
  test('keyword rules next to field rules in one bucket, with an OR of a keyword and a field', () => {
    const either = rule('either', { op: 'or', args: [keywords(contains('evil.dll')), { op: 'field', field: 'Image', tests: [{ t: 'str', m: 'endswith', v: '\\bad.exe' }] }] }, { eventIds: [1] });
    const rules = [mimikatz, either];
    expect(run(rules, { EventID: 1, Image: 'C:\\bad.exe' }).ids).toEqual(['either']);
    expect(run(rules, { EventID: 1, X: 'load EVIL.DLL', Y: 'sekurlsa::' }).ids).toEqual(['mimikatz', 'either']);
    expect(run(rules, { EventID: 2, X: 'load EVIL.DLL' })).toEqual({ ids: [], tests: 0 });
  });
  test('prefiltered results equal unfiltered results on random events', () => {
    const lits = ['sekurlsa::', 'kiwi', 'abc', 'x:y'];
    const rules = [mimikatz, rule('kw', keywords(...lits.map(contains))), rule('all', { op: 'keyword', all: true, tests: [contains('abc'), contains('kiwi')] })];
    const text = fc.array(fc.constantFrom('a', 'B', 'c', 'K', 'i', 'W', ':', ':', 'x', 'Y', 'sekurlsa', 'SekurLSA', '\u212A', '\u0130', 'é'), { maxLength: 14 }).map((parts) => parts.join(''));
    const scalar = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null));
    const event = fc.dictionary(fc.constantFrom('A', 'B', 'EventID', 'C'), fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.constantFrom('x', 'y'), scalar)));
    fc.assert(
      fc.property(event, (e) => {
        expect(run(rules, e).ids).toEqual(run(rules, e, false).ids);
      }),
      { numRuns: 500 },
    );
  });
});

describe('keyword literal derivation', () => {
  test('keywords yield field-less atoms; AND keeps the most selective side, OR unites', () => {
    expect(literalAtoms(keywords(contains('sekurlsa::'), { t: 'glob', v: 'a*kerberos::*' }))).toEqual([{ needle: 'sekurlsa::' }, { needle: 'kerberos::' }]);
    expect(literalAtoms({ op: 'and', args: [keywords(contains('abc')), { op: 'field', field: 'F', tests: [contains('longer')] }] })).toEqual([{ field: 'F', needle: 'longer' }]);
    expect(literalAtoms({ op: 'or', args: [keywords(contains('abc')), { op: 'field', field: 'F', tests: [{ t: 'str', m: 'eq', v: 'X' }] }] })).toEqual([{ needle: 'abc' }, { field: 'F', needle: 'x' }]);
  });
  test('regex keywords yield their required run; none for non-ASCII keywords or an OR with an unfiltered side', () => {
    expect(literalAtoms(keywords({ t: 're', v: 'x+abc\\d', flags: '' }))).toEqual([{ needle: 'abc' }]);
    expect(literalAtoms(keywords({ t: 're', v: 'a|b', flags: '' }))).toBeNull();
    expect(literalAtoms(keywords(contains('cafè')))).toBeNull();
    expect(literalAtoms({ op: 'or', args: [keywords(contains('abc')), { op: 'exists', field: 'F', value: true }] })).toBeNull();
  });
});

describe('keyword scanner', () => {
  const found = (needles: string[], value: unknown): number[] => {
    const scanner = new KeywordScanner(needles, needles.map((_, i) => [i]));
    const hits = new Int32Array(needles.length).fill(-1);
    scanner.scan(value, hits, 7);
    return [...hits.keys()].filter((i) => hits[i] === 7);
  };
  test('finds literals at the start, the end, overlapping, and of one character', () => {
    expect(found(['abc', 'bcd', 'zz'], 'abcd')).toEqual([0, 1]);
    expect(found(['abc', 'xyzabc'], 'XYZABC')).toEqual([0, 1]);
    expect(found(['q'], 'aQa')).toEqual([0]);
    expect(found(['q', 'ab'], 'xab')).toEqual([1]);
    expect(found(['abc'], 'ab')).toEqual([]);
  });
  test('agrees with lowercasing and includes() on random text', () => {
    const needles = ['ab', 'abab', 'ba:', 'k:k', 'zzz'];
    const text = fc.array(fc.constantFrom('a', 'A', 'b', 'B', ':', 'k', 'K', '\u212A', 'z', 'Z', 'é', '\u0130'), { maxLength: 30 }).map((p) => p.join(''));
    fc.assert(
      fc.property(text, (s) => {
        const want = needles.flatMap((n, i) => (s.toLowerCase().includes(n) ? [i] : []));
        // Folding per character finds at least what lowercasing finds (Kelvin folds to `k`).
        expect(found(needles, s)).toEqual(expect.arrayContaining(want));
        if (!/[\u212A\u0130]/.test(s)) expect(found(needles, s)).toEqual(want);
      }),
      { numRuns: 1000 },
    );
  });
});
