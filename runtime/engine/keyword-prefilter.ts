import type { Expr, Test } from './ir.js';
import { parseWildcard } from './wildcard.js';
import { regexLiteral } from './regex-literal.js';

/**
 * Literals for the prefilter that the compiler does not derive: Sigma `keywords` (tests on
 * every value of the event, not one field) and regular expressions. For variants without
 * compiler literals whose condition has either, the engine derives them here; a keyword
 * literal must occur in some scalar of the event, which the keyword scanner finds in a single
 * walk over the event's values, and a regex literal in its field, like any field literal.
 */

/** A literal a variant needs, lowercased: in `field`, or in any value of the event when `field` is undefined. */
export interface LiteralAtom {
  readonly field?: string;
  readonly needle: string;
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * The literal one test needs (lowercased), [] when the test never matches, null when none is
 * implied. Keyword needles must be ASCII: the keyword scan folds case per character, which
 * finds every ASCII literal that full lowercasing (or a case-insensitive regex) would find.
 */
function testNeedles(t: Test, keyword: boolean): string[] | null {
  let needle: string;
  switch (t.t) {
    case 'str':
      needle = t.v.toLowerCase();
      break;
    case 'glob': {
      needle = '';
      for (const p of parseWildcard(t.v)) if (typeof p === 'string' && p.length > needle.length) needle = p;
      needle = needle.toLowerCase();
      break;
    }
    case 're':
      needle = regexLiteral(t.v, t.flags) ?? '';
      break;
    case 'never':
      return [];
    default:
      return null;
  }
  if (needle.length === 0 || (keyword && !ASCII.test(needle))) return null;
  return [needle];
}

function score(atoms: readonly LiteralAtom[]): number {
  if (atoms.length === 0) return Number.POSITIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  for (const a of atoms) min = Math.min(min, a.needle.length);
  return min * 1000 - atoms.length;
}

function testsAtoms(tests: readonly Test[], all: boolean, field: string | undefined): LiteralAtom[] | null {
  const keyword = field === undefined;
  const make = (needle: string): LiteralAtom => (keyword ? { needle } : { field, needle });
  if (all) {
    // Every test must hold, so any one test's literals are necessary: keep the most selective.
    let best: LiteralAtom[] | null = null;
    for (const t of tests) {
      const n = testNeedles(t, keyword);
      if (n === null) continue;
      const atoms = n.map(make);
      if (best === null || score(atoms) > score(best)) best = atoms;
    }
    return best;
  }
  const out: LiteralAtom[] = [];
  for (const t of tests) {
    const n = testNeedles(t, keyword);
    if (n === null) return null;
    out.push(...n.map(make));
  }
  return out;
}

/**
 * Literals at least one of which must occur for the expression to hold, or null when no such
 * set is known (the compiler's rule for fields, extended to keywords): AND keeps its most
 * selective child's set, OR unites its children's sets and needs every child to have one.
 */
export function literalAtoms(expr: Expr): LiteralAtom[] | null {
  switch (expr.op) {
    case 'field':
      return testsAtoms(expr.tests, expr.all === true, expr.field);
    case 'keyword':
      return testsAtoms(expr.tests, expr.all === true, undefined);
    case 'and': {
      let best: LiteralAtom[] | null = null;
      for (const a of expr.args) {
        const atoms = literalAtoms(a);
        if (atoms !== null && (best === null || score(atoms) > score(best))) best = atoms;
      }
      return best;
    }
    case 'or': {
      const out: LiteralAtom[] = [];
      for (const a of expr.args) {
        const atoms = literalAtoms(a);
        if (atoms === null) return null;
        out.push(...atoms);
      }
      return out;
    }
    case 'const':
      return expr.value ? null : [];
    default:
      return null;
  }
}

/**
 * Whether an expression has keywords or regular expressions, the tests the compiler derives no
 * literals for (only then can the engine's derivation find more than the compiler did).
 */
export function hasEngineLiterals(expr: Expr): boolean {
  switch (expr.op) {
    case 'keyword':
      return true;
    case 'field':
      return expr.tests.some((t) => t.t === 're');
    case 'and':
    case 'or':
      return expr.args.some(hasEngineLiterals);
    case 'not':
      return hasEngineLiterals(expr.arg);
    default:
      return false;
  }
}
