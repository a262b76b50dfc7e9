import type { Expr, Test } from './ir.js';
import { regexLiteral } from './regex-literal.js';
import { parseWildcard } from './wildcard.js';
import { foldCase } from './fold-case.js';

/**
 * The walk both the compiler (the IR's `prefilter` atoms) and the engine (keyword and regex
 * literals) use to find literals at least one of which must occur for an expression to hold.
 * AND keeps its most selective child's set (any child's set is necessary); OR unites its
 * children's sets and needs every child to have one; `false` needs nothing ([]), `true` and
 * anything unknown give null (no set known). The leaves say which literals a test implies.
 */

/** Anything with a lowercased needle. */
export interface Needled {
  readonly needle: string;
}

/** How selective a set is: its shortest needle first (longer is rarer), then fewer needles. */
export function selectivity(atoms: readonly Needled[]): number {
  if (atoms.length === 0) return Number.POSITIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  for (const a of atoms) min = Math.min(min, a.needle.length);
  return min * 1000 - atoms.length;
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * The literal one test needs (lowercased), [] when the test never matches, null when none is
 * implied. `regex`: a regular expression's required literal counts too (the engine derives it,
 * the compiler does not). `ascii`: only ASCII needles (the keyword scan folds case per
 * character, which finds every ASCII literal that full lowercasing would find).
 */
export function testNeedles(t: Test, opts: { readonly regex: boolean; readonly ascii: boolean }): string[] | null {
  let needle: string;
  switch (t.t) {
    case 'str':
      needle = foldCase(t.v);
      break;
    case 'glob': {
      needle = '';
      for (const p of parseWildcard(t.v)) if (typeof p === 'string' && p.length > needle.length) needle = p;
      needle = foldCase(needle);
      break;
    }
    case 're':
      if (!opts.regex) return null;
      needle = regexLiteral(t.v, t.flags) ?? '';
      break;
    case 'never':
      return [];
    default:
      return null;
  }
  if (needle.length === 0 || (opts.ascii && !ASCII.test(needle))) return null;
  return [needle];
}

/**
 * The atoms a list of tests implies: with `all` any one test's set is necessary (the most
 * selective is kept); otherwise every test needs one and they are united. `needles` gives a
 * test's needles ([] when it never matches, null when none is implied).
 */
export function testsLiterals<A extends Needled>(tests: readonly Test[], all: boolean, needles: (t: Test) => readonly string[] | null, make: (needle: string) => A): A[] | null {
  if (all) {
    let best: A[] | null = null;
    for (const t of tests) {
      const n = needles(t);
      if (n === null) continue;
      const atoms = n.map(make);
      if (best === null || selectivity(atoms) > selectivity(best)) best = atoms;
    }
    return best;
  }
  const out: A[] = [];
  for (const t of tests) {
    const n = needles(t);
    if (n === null) return null;
    for (const needle of n) out.push(make(needle));
  }
  return out;
}

/** The necessary literals of `expr`; `leaf` answers for `field` and `keyword` nodes (null: none known). */
export function necessaryLiterals<A extends Needled>(expr: Expr, leaf: (e: Extract<Expr, { op: 'field' | 'keyword' }>) => A[] | null): A[] | null {
  switch (expr.op) {
    case 'field':
    case 'keyword':
      return leaf(expr);
    case 'and': {
      let best: A[] | null = null;
      for (const a of expr.args) {
        const atoms = necessaryLiterals(a, leaf);
        if (atoms !== null && (best === null || selectivity(atoms) > selectivity(best))) best = atoms;
      }
      return best;
    }
    case 'or': {
      const out: A[] = [];
      for (const a of expr.args) {
        const atoms = necessaryLiterals(a, leaf);
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
