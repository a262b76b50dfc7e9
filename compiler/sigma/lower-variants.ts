import type { Expr, PrefilterAtom, Test } from '../../runtime/engine/ir.js';
import { necessaryLiterals, testNeedles, testsLiterals } from '../../runtime/engine/necessary-literals.js';

/**
 * Per-variant lowering: rename rule fields to the variant's event fields, fold constants, and
 * work out the literals an event must contain for the variant to match (the prefilter).
 */

/** Rule field → event field(s); several event fields mean "any of them". */
export type FieldMap = Readonly<Record<string, string | readonly string[]>>;

/** Renames every field of an expression through the map (unmapped fields keep their names). */
export function mapFields(expr: Expr, map: FieldMap): Expr {
  const names = (f: string): readonly string[] => {
    const m = map[f];
    return m === undefined ? [f] : typeof m === 'string' ? [m] : m.length > 0 ? m : [f];
  };
  const mapTest = (t: Test): Test => (t.t === 'fieldref' ? { ...t, f: names(t.f)[0]! } : t);
  const walk = (e: Expr): Expr => {
    switch (e.op) {
      case 'and':
      case 'or':
        return { op: e.op, args: e.args.map(walk) };
      case 'not':
        return { op: 'not', arg: walk(e.arg) };
      case 'field': {
        const tests = e.tests.map(mapTest);
        const alts = names(e.field).map((field): Expr => ({ ...e, field, tests }));
        return alts.length === 1 ? alts[0]! : { op: 'or', args: alts };
      }
      case 'keyword':
        return { ...e, tests: e.tests.map(mapTest) };
      case 'exists': {
        const alts = names(e.field).map((field): Expr => ({ ...e, field }));
        return alts.length === 1 ? alts[0]! : e.value ? { op: 'or', args: alts } : { op: 'and', args: alts };
      }
      case 'const':
        return e;
    }
  };
  return Object.keys(map).length === 0 ? expr : walk(expr);
}

/** Folds constants and flattens nested and/or, so the matcher tree stays shallow. */
export function simplify(expr: Expr): Expr {
  switch (expr.op) {
    case 'not': {
      const arg = simplify(expr.arg);
      if (arg.op === 'const') return { op: 'const', value: !arg.value };
      if (arg.op === 'not') return arg.arg;
      return { op: 'not', arg };
    }
    case 'and':
    case 'or': {
      const absorbing = expr.op === 'or';
      const args: Expr[] = [];
      for (const a of expr.args.map(simplify)) {
        if (a.op === 'const') {
          if (a.value === absorbing) return a;
          continue;
        }
        if (a.op === expr.op) args.push(...a.args);
        else args.push(a);
      }
      if (args.length === 0) return { op: 'const', value: !absorbing };
      return args.length === 1 ? args[0]! : { op: expr.op, args };
    }
    case 'field':
      return expr.tests.length > 0 && expr.tests.every((t) => t.t === 'never') ? { op: 'const', value: false } : expr;
    default:
      return expr;
  }
}

/** The compiler's literals: from strings and wildcards of any script; regexes are left to the engine. */
const COMPILER_NEEDLES = { regex: false, ascii: false } as const;

/**
 * Literals at least one of which must occur for the expression to be true, or null when no
 * such set is known (runtime/engine/necessary-literals.ts: AND keeps its most selective child's
 * set, OR unites its children's). Only field tests give literals here; the engine derives the
 * ones of keywords and regular expressions itself.
 */
export function necessaryAtoms(expr: Expr): PrefilterAtom[] | null {
  return necessaryLiterals<PrefilterAtom>(expr, (e) => (e.op === 'field' ? testsLiterals(e.tests, e.all === true, (t) => testNeedles(t, COMPILER_NEEDLES), (needle) => ({ field: e.field, needle })) : null));
}

/** Deduplicates and sorts atoms so the IR is deterministic. */
export function normalizeAtoms(atoms: readonly PrefilterAtom[]): PrefilterAtom[] {
  const seen = new Map<string, PrefilterAtom>();
  for (const a of atoms) seen.set(`${a.field}\u0000${a.needle}`, a);
  return [...seen.values()].sort((a, b) => (a.field === b.field ? (a.needle < b.needle ? -1 : a.needle > b.needle ? 1 : 0) : a.field < b.field ? -1 : 1));
}

function idsOfTests(tests: readonly Test[]): number[] | null {
  const out: number[] = [];
  for (const t of tests) {
    if (t.t === 'num' && t.op === 'eq' && Number.isInteger(t.v)) out.push(t.v);
    else if (t.t === 'str' && t.m === 'eq' && /^\d{1,9}$/.test(t.v)) out.push(Number(t.v));
    else if (t.t !== 'never') return null;
  }
  return out;
}

/**
 * Event ids the expression can only be true for (from `EventID: ...` selections), or null.
 * Most Security and Sysmon-service rules select their event ids in the detection rather than
 * the logsource; lifting them into the variant lets the index skip every other event id.
 */
export function requiredEventIds(expr: Expr): number[] | null {
  switch (expr.op) {
    case 'field':
      return expr.field === 'EventID' && !expr.all ? idsOfTests(expr.tests) : null;
    case 'and': {
      let acc: number[] | null = null;
      for (const a of expr.args) {
        const ids = requiredEventIds(a);
        if (ids === null) continue;
        acc = acc === null ? ids : acc.filter((x) => ids.includes(x));
      }
      return acc;
    }
    case 'or': {
      const out = new Set<number>();
      for (const a of expr.args) {
        const ids = requiredEventIds(a);
        if (ids === null) return null;
        for (const x of ids) out.add(x);
      }
      return [...out];
    }
    case 'const':
      return expr.value ? null : [];
    default:
      return null;
  }
}
