import { describe, expect, test } from 'vitest';
import { EventView, FieldTable } from '../../../runtime/engine/event-view.js';
import { buildMatcher } from '../../../runtime/engine/matchers.js';
import type { Expr, Test } from '../../../runtime/engine/ir.js';

function matches(expr: Expr, event: unknown): boolean {
  const fields = new FieldTable();
  const m = buildMatcher(fields, expr);
  const view = new EventView(fields);
  view.reset(event);
  return m(view);
}

const field = (f: string, ...tests: Test[]): Expr => ({ op: 'field', field: f, tests });

describe('matchers', () => {
  test('string tests are case-insensitive on lowercased needles unless cased', () => {
    expect(matches(field('A', { t: 'str', m: 'eq', v: 'cmd.exe' }), { A: 'CMD.EXE' })).toBe(true);
    expect(matches(field('A', { t: 'str', m: 'eq', v: 'cmd.exe', cased: true }), { A: 'CMD.EXE' })).toBe(false);
    expect(matches(field('A', { t: 'str', m: 'contains', v: 'md.e' }), { A: 'CMD.EXE' })).toBe(true);
    expect(matches(field('A', { t: 'str', m: 'startswith', v: 'c:\\' }), { A: 'C:\\x' })).toBe(true);
    expect(matches(field('A', { t: 'str', m: 'endswith', v: '.exe' }), { A: 'x.dll' })).toBe(false);
  });
  test('globs: * any run, ? one character, escapes literal', () => {
    const g = (v: string, s: string) => matches(field('A', { t: 'glob', v }), { A: s });
    expect(g('a*b?d', 'axxxbcd')).toBe(true);
    expect(g('a*b?d', 'axxxbd')).toBe(false);
    expect(g('a\\*b', 'a*b')).toBe(true);
    expect(g('a\\*b', 'axb')).toBe(false);
    expect(g('*', '')).toBe(true);
  });
  test('numbers and numeric strings compare numerically', () => {
    expect(matches(field('P', { t: 'num', op: 'eq', v: 9456 }), { P: '9456' })).toBe(true);
    expect(matches(field('P', { t: 'num', op: 'eq', v: 9456 }), { P: 9456 })).toBe(true);
    expect(matches(field('P', { t: 'str', m: 'eq', v: '9456' }), { P: 9456 })).toBe(true);
    expect(matches(field('P', { t: 'num', op: 'gt', v: 10 }), { P: '0x1a' })).toBe(true);
    expect(matches(field('P', { t: 'num', op: 'lte', v: 10 }), { P: 'ten' })).toBe(false);
  });
  test('null matches missing and null, not empty', () => {
    const e = field('A', { t: 'null' });
    expect(matches(e, {})).toBe(true);
    expect(matches(e, { A: null })).toBe(true);
    expect(matches(e, { A: '' })).toBe(false);
  });
  test('exists', () => {
    expect(matches({ op: 'exists', field: 'A', value: true }, { A: null })).toBe(true);
    expect(matches({ op: 'exists', field: 'A', value: false }, { A: null })).toBe(false);
  });
  test('cidr for IPv4 and IPv6, never for garbage', () => {
    expect(matches(field('Ip', { t: 'cidr', v: '10.0.0.0/8' }), { Ip: '10.1.2.3' })).toBe(true);
    expect(matches(field('Ip', { t: 'cidr', v: '10.0.0.0/8' }), { Ip: '11.1.2.3' })).toBe(false);
    expect(matches(field('Ip', { t: 'cidr', v: 'fe80::/10' }), { Ip: 'fe80::1' })).toBe(true);
    expect(matches(field('Ip', { t: 'cidr', v: '10.0.0.0/8' }), { Ip: 'nope' })).toBe(false);
  });
  test('regex is unanchored; flags apply', () => {
    expect(matches(field('A', { t: 're', v: 'b+c', flags: '' }), { A: 'abbbcd' })).toBe(true);
    expect(matches(field('A', { t: 're', v: 'B+C', flags: '' }), { A: 'abbbcd' })).toBe(false);
    expect(matches(field('A', { t: 're', v: 'B+C', flags: 'i' }), { A: 'abbbcd' })).toBe(true);
  });
  test('fieldref and date parts', () => {
    expect(matches(field('A', { t: 'fieldref', f: 'B', m: 'eq' }), { A: 'X', B: 'x' })).toBe(true);
    expect(matches(field('A', { t: 'fieldref', f: 'B', m: 'eq' }), { A: 'X' })).toBe(false);
    expect(matches(field('T', { t: 'date', part: 'hour', op: 'eq', v: 23 }), { T: '2020-10-21T23:28:14Z' })).toBe(true);
    expect(matches(field('T', { t: 'date', part: 'month', op: 'gte', v: 11 }), { T: '2020-10-21T23:28:14Z' })).toBe(false);
  });
  test('nested EVTX layout without a mapping: EventData, System, attributes, #text', () => {
    const evtx = {
      Event: {
        System: { EventID: { '#text': 4688, '#attributes': { Qualifiers: 0 } }, Channel: 'Security', Provider: { '#attributes': { Name: 'Microsoft-Windows-Security-Auditing' } } },
        EventData: { NewProcessName: 'C:\\Windows\\System32\\whoami.exe', 'Threat Name': 'EICAR' },
      },
    };
    expect(matches(field('NewProcessName', { t: 'str', m: 'endswith', v: '\\whoami.exe' }), evtx)).toBe(true);
    expect(matches(field('EventID', { t: 'num', op: 'eq', v: 4688 }), evtx)).toBe(true);
    expect(matches(field('Provider_Name', { t: 'str', m: 'eq', v: 'microsoft-windows-security-auditing' }), evtx)).toBe(true);
    expect(matches(field('ThreatName', { t: 'str', m: 'eq', v: 'eicar' }), evtx)).toBe(true);
    expect(matches(field('Event.System.Channel', { t: 'str', m: 'eq', v: 'security' }), evtx)).toBe(true);
  });
  test('list-valued fields match when any element does', () => {
    expect(matches(field('Tags', { t: 'str', m: 'eq', v: 'b' }), { Tags: ['a', 'B'] })).toBe(true);
  });
  test('keywords search every value anywhere in the event', () => {
    const kw: Expr = { op: 'keyword', tests: [{ t: 'str', m: 'contains', v: 'mimikatz' }] };
    expect(matches(kw, { a: { b: ['x', 'run MIMIKATZ now'] } })).toBe(true);
    expect(matches(kw, { a: 'benign' })).toBe(false);
  });
  test('boolean operators', () => {
    const a = field('A', { t: 'str', m: 'eq', v: '1' });
    const b = field('B', { t: 'str', m: 'eq', v: '1' });
    expect(matches({ op: 'and', args: [a, { op: 'not', arg: b }] }, { A: 1, B: 2 })).toBe(true);
    expect(matches({ op: 'or', args: [a, b] }, { A: 2, B: 2 })).toBe(false);
  });
});
