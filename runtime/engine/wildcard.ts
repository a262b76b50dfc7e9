/**
 * Sigma wildcard strings: `*` matches any run of characters, `?` exactly one, and a backslash
 * escapes `*`, `?` and itself (any other backslash is literal, as the specification says).
 * Matching is iterative with a single backtrack point per star, so it is O(n·m) at worst and
 * linear in practice; no regular expression is involved.
 */

/** One piece of a parsed pattern: literal text, or a wildcard. */
export type WildPiece = string | { readonly wild: '*' | '?' };

/** Splits a Sigma string into literal text and wildcards, resolving escapes. */
export function parseWildcard(pattern: string): WildPiece[] {
  const out: WildPiece[] = [];
  let lit = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === '*' || n === '?' || n === '\\') {
        lit += n;
        i++;
      } else lit += c;
    } else if (c === '*' || c === '?') {
      if (lit) out.push(lit);
      lit = '';
      out.push({ wild: c });
    } else lit += c;
  }
  if (lit) out.push(lit);
  return out;
}

/** Whether the pattern contains an unescaped wildcard. */
export function hasWildcard(pattern: string): boolean {
  return parseWildcard(pattern).some((p) => typeof p !== 'string');
}

/** Escapes a literal so it reads as itself in a Sigma string. */
export function escapeWildcard(text: string): string {
  return text.replace(/[\\*?]/g, (c) => '\\' + c);
}

/** Builds a matcher for a parsed pattern: the whole input must match. */
export function wildcardMatcher(pieces: readonly WildPiece[]): (s: string) => boolean {
  // Flatten into a char-level program: -1 = '*', -2 = '?', otherwise a UTF-16 code unit.
  const prog: number[] = [];
  for (const p of pieces) {
    if (typeof p === 'string') for (let i = 0; i < p.length; i++) prog.push(p.charCodeAt(i));
    else prog.push(p.wild === '*' ? -1 : -2);
  }
  const code = Int32Array.from(prog);
  const m = code.length;
  return (s: string) => {
    const n = s.length;
    let i = 0;
    let j = 0;
    let starJ = -1;
    let starI = 0;
    while (i < n) {
      if (j < m && (code[j] === -2 || code[j] === s.charCodeAt(i))) {
        i++;
        j++;
      } else if (j < m && code[j] === -1) {
        starJ = j++;
        starI = i;
      } else if (starJ >= 0) {
        j = starJ + 1;
        i = ++starI;
      } else return false;
    }
    while (j < m && code[j] === -1) j++;
    return j === m;
  };
}
