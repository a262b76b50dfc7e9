import ipaddr from 'ipaddr.js';
import type { Expr, Test } from './ir.js';
import { EventView, FieldTable } from './event-view.js';
import { compileRegex } from './regex.js';
import { parseWildcard, wildcardMatcher } from './wildcard.js';
import { anyContains } from './literal-set.js';
import { scalarString, toEpochMs } from './field-access.js';
import { foldCase } from './fold-case.js';

/**
 * IR expressions → matcher closures. Bundles are data, never code: no `eval`, no
 * `new Function`; each IR node becomes a small closure over pre-lowercased needles and field
 * slots. A matcher never throws for any event shape.
 */

/** Tests one event through the per-event view. */
export type Matcher = (view: EventView) => boolean;

/** Tests one scalar: its raw value, string form and lowercased form. */
type ScalarTest = (raw: unknown, str: string | undefined, low: string | undefined, view: EventView) => boolean;

const NEVER: ScalarTest = () => false;

function compare(op: string, a: number, b: number): boolean {
  switch (op) {
    case 'gt': return a > b;
    case 'gte': return a >= b;
    case 'lt': return a < b;
    case 'lte': return a <= b;
    default: return a === b;
  }
}

function toNumber(raw: unknown, str: string | undefined): number {
  if (typeof raw === 'number') return raw;
  if (str === undefined || str.trim() === '') return NaN;
  return Number(str);
}

/** ISO week number (1-53) of a UTC date. */
function isoWeek(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return Math.ceil(((t.getTime() - yearStart) / 86400000 + 1) / 7);
}

function datePart(part: string, ms: number): number {
  const d = new Date(ms);
  switch (part) {
    case 'minute': return d.getUTCMinutes();
    case 'hour': return d.getUTCHours();
    case 'day': return d.getUTCDate();
    case 'week': return isoWeek(d);
    case 'month': return d.getUTCMonth() + 1;
    default: return d.getUTCFullYear();
  }
}

function cidrTest(network: string): ScalarTest {
  let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    range = ipaddr.parseCIDR(network);
  } catch {
    return NEVER;
  }
  const kind = range[0].kind();
  return (_raw, str) => {
    if (str === undefined || !ipaddr.isValid(str)) return false;
    const addr = ipaddr.process(str);
    if (addr.kind() !== kind) return false;
    return (addr as ipaddr.IPv4).match(range as [ipaddr.IPv4, number]);
  };
}

function stringTest(m: string, v: string, cased: boolean): ScalarTest {
  switch (m) {
    case 'eq': return cased ? (_r, s) => s === v : (_r, _s, l) => l === v;
    case 'contains': return cased ? (_r, s) => s !== undefined && s.includes(v) : (_r, _s, l) => l !== undefined && l.includes(v);
    case 'startswith': return cased ? (_r, s) => s !== undefined && s.startsWith(v) : (_r, _s, l) => l !== undefined && l.startsWith(v);
    default: return cased ? (_r, s) => s !== undefined && s.endsWith(v) : (_r, _s, l) => l !== undefined && l.endsWith(v);
  }
}

function fieldRefTest(fields: FieldTable, test: Extract<Test, { t: 'fieldref' }>): ScalarTest {
  const other = fields.slotOf(test.f);
  const cased = test.cased === true;
  return (_raw, str, low, view) => {
    const a = cased ? str : low;
    const b = cased ? view.str(other) : view.low(other);
    if (a === undefined || b === undefined) return false;
    switch (test.m) {
      case 'eq': return a === b;
      case 'contains': return a.includes(b);
      case 'startswith': return a.startsWith(b);
      default: return a.endsWith(b);
    }
  };
}

/** Builds the scalar test for one IR test. */
function scalarTest(fields: FieldTable, test: Test): ScalarTest {
  switch (test.t) {
    case 'str': return stringTest(test.m, test.v, test.cased === true);
    case 'glob': {
      const match = wildcardMatcher(parseWildcard(test.v));
      return test.cased ? (_r, s) => s !== undefined && match(s) : (_r, _s, l) => l !== undefined && match(l);
    }
    case 're': {
      const re = compileRegex(test.v, test.flags);
      if (!re.ok) return NEVER;
      const run = re.test;
      return (_r, s) => s !== undefined && run(s);
    }
    case 'cidr': return cidrTest(test.v);
    case 'num': {
      const { op, v } = test;
      return (raw, s) => {
        const n = toNumber(raw, s);
        return !Number.isNaN(n) && compare(op, n, v);
      };
    }
    case 'null': return (raw) => raw === undefined || raw === null;
    case 'fieldref': return fieldRefTest(fields, test);
    case 'date': {
      const { part, op, v } = test;
      return (raw) => {
        const ms = toEpochMs(raw);
        return !Number.isNaN(ms) && compare(op, datePart(part, ms), v);
      };
    }
    case 'never': return NEVER;
  }
}

function combine(tests: readonly ScalarTest[], all: boolean): ScalarTest {
  if (tests.length === 1) return tests[0]!;
  if (all) {
    return (r, s, l, v) => {
      for (let i = 0; i < tests.length; i++) if (!tests[i]!(r, s, l, v)) return false;
      return true;
    };
  }
  return (r, s, l, v) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(r, s, l, v)) return true;
    return false;
  };
}

/** `contains` lists at least this long are tested in one pass over the value. */
const MIN_CONTAINS_LIST = 6;
/** `eq` lists at least this long are tested with one Set lookup. */
const MIN_EQ_LIST = 4;

/**
 * The scalar tests of an any-of field test. Long `contains` and `eq` lists become one test
 * each; any-of does not depend on the order of its tests, so the result is unchanged.
 */
function anyOfTests(fields: FieldTable, tests: readonly Test[]): ScalarTest[] {
  const grouped = new Map<string, string[]>();
  for (const t of tests) {
    if (t.t !== 'str' || (t.m !== 'contains' && t.m !== 'eq')) continue;
    const key = t.m + (t.cased ? ':cased' : '');
    const list = grouped.get(key) ?? [];
    list.push(t.v);
    grouped.set(key, list);
  }
  const out: ScalarTest[] = [];
  const taken = new Set<string>();
  for (const [key, list] of grouped) {
    const cased = key.endsWith(':cased');
    if (key.startsWith('contains') && list.length >= MIN_CONTAINS_LIST) {
      const any = anyContains(list);
      out.push(cased ? (_r, s) => s !== undefined && any(s) : (_r, _s, l) => l !== undefined && any(l));
      taken.add(key);
    } else if (key.startsWith('eq') && list.length >= MIN_EQ_LIST) {
      const set = new Set(list);
      out.push(cased ? (_r, s) => s !== undefined && set.has(s) : (_r, _s, l) => l !== undefined && set.has(l));
      taken.add(key);
    }
  }
  for (const t of tests) {
    if (t.t === 'str' && taken.has(t.m + (t.cased ? ':cased' : ''))) continue;
    out.push(scalarTest(fields, t));
  }
  return out;
}

function fieldMatcher(fields: FieldTable, field: string, tests: readonly Test[], all: boolean): Matcher {
  const slot = fields.slotOf(field);
  const scalars = all ? tests.map((t) => scalarTest(fields, t)) : anyOfTests(fields, tests);
  const test = combine(scalars, all);
  return (view) => {
    const raw = view.raw(slot);
    if (Array.isArray(raw)) {
      // A list-valued field matches when any element does (Winlogbeat and ECS arrays).
      if (raw.length === 0) return test(undefined, undefined, undefined, view);
      for (const el of raw) {
        const s = scalarString(el);
        if (test(el, s, s === undefined ? undefined : foldCase(s), view)) return true;
      }
      return false;
    }
    return test(raw, view.str(slot), view.low(slot), view);
  };
}

/** Calls `visit` on every scalar string form in the event until it returns true; allocates nothing for strings. */
function someScalar(v: unknown, visit: (s: string) => boolean, depth: number): boolean {
  if (typeof v === 'string') return visit(v);
  if (typeof v === 'number' || typeof v === 'boolean') return visit(String(v));
  if (depth > 32 || typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (someScalar(x, visit, depth + 1)) return true;
    return false;
  }
  for (const k in v) if (someScalar((v as Record<string, unknown>)[k], visit, depth + 1)) return true;
  return false;
}

const escapeRe = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
const ASCII = /^[\x00-\x7f]*$/;

function keywordMatcher(fields: FieldTable, tests: readonly Test[], all: boolean): Matcher {
  // Case-insensitive literal keywords: one alternation of escaped literals with the `i` flag.
  // It has no quantifiers, so it cannot backtrack catastrophically, and it spares lowercasing
  // every value of every event. ASCII needles only: the flag folds one character at a time, so
  // `İ` (whose lowercase is two characters) or Greek sigma would not fold as foldCase does.
  if (!all && tests.length > 0 && tests.every((t) => t.t === 'str' && t.m === 'contains' && !t.cased && ASCII.test(t.v))) {
    const re = new RegExp(tests.map((t) => escapeRe((t as { v: string }).v)).join('|'), 'i');
    const visit = (s: string) => re.test(s);
    return (view) => someScalar(view.event, visit, 0);
  }
  const scalars = tests.map((t) => scalarTest(fields, t));
  const anyValue = (t: ScalarTest, view: EventView): boolean => {
    const { strs, lows } = view.keywords();
    for (let i = 0; i < strs.length; i++) if (t(strs[i], strs[i], lows[i], view)) return true;
    return false;
  };
  if (all) return (view) => scalars.every((t) => anyValue(t, view));
  return (view) => scalars.some((t) => anyValue(t, view));
}

/** Builds the matcher for an IR expression, interning every field it reads into `fields`. */
export function buildMatcher(fields: FieldTable, expr: Expr): Matcher {
  switch (expr.op) {
    case 'const': {
      const value = expr.value;
      return () => value;
    }
    case 'not': {
      const inner = buildMatcher(fields, expr.arg);
      return (view) => !inner(view);
    }
    case 'and': {
      const parts = expr.args.map((a) => buildMatcher(fields, a));
      if (parts.length === 1) return parts[0]!;
      if (parts.length === 2) {
        const [a, b] = parts as [Matcher, Matcher];
        return (view) => a(view) && b(view);
      }
      return (view) => {
        for (let i = 0; i < parts.length; i++) if (!parts[i]!(view)) return false;
        return true;
      };
    }
    case 'or': {
      const parts = expr.args.map((a) => buildMatcher(fields, a));
      if (parts.length === 1) return parts[0]!;
      return (view) => {
        for (let i = 0; i < parts.length; i++) if (parts[i]!(view)) return true;
        return false;
      };
    }
    case 'field': return fieldMatcher(fields, expr.field, expr.tests, expr.all === true);
    case 'keyword': return keywordMatcher(fields, expr.tests, expr.all === true);
    case 'exists': {
      const slot = fields.slotOf(expr.field);
      const want = expr.value;
      return (view) => (view.raw(slot) !== undefined) === want;
    }
  }
}
