/**
 * The longest literal a regular expression requires, for the prefilter. The reading is
 * conservative: only characters that every match must contain, in a row, at the top level of
 * the pattern count (groups, classes and alternation are skipped or give up), so a pattern
 * that matches a string always leaves its literal in the lowercased string.
 */
import { foldCase } from './fold-case.js';

const REPEAT = /^\{(\d+)(?:,\d*)?\}/;
/** Inline flags that may turn on case-insensitive matching somewhere in the pattern. */
const CASE_FLAG = /\(\?[a-zA-Z-]*i/;

/** Index just past the `]` closing the class that opens at `i`, or -1. */
function skipClass(p: string, i: number): number {
  let j = i + 1;
  if (p[j] === '^') j++;
  if (p[j] === ']') j++;
  for (; j < p.length; j++) {
    if (p[j] === '\\') j++;
    else if (p[j] === '[' && p[j + 1] === ':') {
      const end = p.indexOf(':]', j + 2);
      if (end < 0) return -1;
      j = end + 1;
    } else if (p[j] === ']') return j + 1;
  }
  return -1;
}

/** Index just past the `)` closing the group that opens at `i`, or -1. */
function skipGroup(p: string, i: number): number {
  let depth = 0;
  for (let j = i; j < p.length; j++) {
    const c = p[j];
    if (c === '\\') j++;
    else if (c === '[') {
      const end = skipClass(p, j);
      if (end < 0) return -1;
      j = end - 1;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return j + 1;
  }
  return -1;
}

/**
 * The longest run of characters every match of `pattern` contains, lowercased, or null when
 * none is known. Under case-insensitive matching `s` is left out of runs: RE2 folds `ſ`
 * (U+017F) to `s`, and lowercasing does not. Non-ASCII characters end runs.
 */
export function regexLiteral(pattern: string, flags: string): string | null {
  if (pattern.includes('\\Q')) return null;
  const caseless = flags.includes('i') || CASE_FLAG.test(pattern);
  const runs: string[] = [];
  let run = '';
  const flush = () => {
    if (run.length > 0) runs.push(run);
    run = '';
  };
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    let literal: string | undefined;
    if (c === '|' || c === ')' || c === '*' || c === '+' || c === '?') return null;
    if (c === '\\') {
      const x = pattern[i + 1];
      if (x === undefined) return null;
      // Escapes with arguments (\x41, \p{L}, octal) are not worth reading: give up.
      if (/[xpP0-9]/.test(x)) return null;
      if (!/[a-zA-Z]/.test(x)) literal = x;
      i += 2;
    } else if (c === '[') {
      i = skipClass(pattern, i);
      if (i < 0) return null;
    } else if (c === '(') {
      i = skipGroup(pattern, i);
      if (i < 0) return null;
    } else {
      if (c !== '.' && c !== '^' && c !== '$' && c !== '{' && c.charCodeAt(0) < 128) literal = c;
      i++;
    }
    // A following repetition: optional atoms drop out; repeated ones end the run after them.
    let min = 1;
    let repeated = false;
    const q = pattern[i];
    if (q === '*' || q === '?') {
      min = 0;
      i++;
    } else if (q === '+') {
      repeated = true;
      i++;
    } else if (q === '{') {
      const m = REPEAT.exec(pattern.slice(i));
      if (m) {
        min = Number(m[1]);
        repeated = true;
        i += m[0].length;
      }
    }
    if (min !== 1 || repeated) if (pattern[i] === '?' || pattern[i] === '+') i++;
    if (literal !== undefined && min >= 1 && !(caseless && (literal === 's' || literal === 'S'))) {
      run += literal;
      if (repeated) flush();
    } else flush();
  }
  flush();
  let best = '';
  for (const r of runs) if (r.length > best.length) best = r;
  return best.length > 0 ? foldCase(best) : null;
}
