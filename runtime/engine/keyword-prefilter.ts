import type { Expr } from './ir.js';
import { necessaryLiterals, testNeedles, testsLiterals } from './necessary-literals.js';

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

/**
 * Literals at least one of which must occur for the expression to hold, or null when no such
 * set is known: the compiler's walk (necessary-literals.ts), with keywords and regular
 * expressions as leaves too.
 */
export function literalAtoms(expr: Expr): LiteralAtom[] | null {
  return necessaryLiterals<LiteralAtom>(expr, (e) =>
    e.op === 'field'
      ? testsLiterals(e.tests, e.all === true, (t) => testNeedles(t, { regex: true, ascii: false }), (needle) => ({ field: e.field, needle }))
      : testsLiterals(e.tests, e.all === true, (t) => testNeedles(t, { regex: true, ascii: true }), (needle) => ({ needle })),
  );
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
