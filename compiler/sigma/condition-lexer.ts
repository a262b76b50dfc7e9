/**
 * Sigma condition lexer (https://github.com/SigmaHQ/sigma-specification, rules specification,
 * "Condition"). Offsets are positions in the condition string; the caller maps them into the
 * YAML scalar so diagnostics point inside it.
 */

/** One condition token. */
export interface Token {
  readonly kind: 'word' | 'lparen' | 'rparen' | 'pipe' | 'eof';
  /** The text as written (keywords are compared case-insensitively by the parser). */
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** A character the lexer does not accept. */
export interface LexError {
  readonly offset: number;
  readonly char: string;
}

const WORD = /[^\s()|]/;

/** Splits a condition into words, parentheses and pipes; reports characters that cannot start a token. */
export function lexCondition(text: string): { tokens: Token[]; error?: LexError } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === '|') {
      tokens.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'pipe', text: c, start: i, end: i + 1 });
      i++;
      continue;
    }
    if (!WORD.test(c)) return { tokens, error: { offset: i, char: c } };
    const start = i;
    while (i < text.length && WORD.test(text[i]!)) i++;
    tokens.push({ kind: 'word', text: text.slice(start, i), start, end: i });
  }
  tokens.push({ kind: 'eof', text: '', start: text.length, end: text.length });
  return { tokens };
}
