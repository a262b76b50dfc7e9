import { lexCondition, type Token } from './condition-lexer.js';

/**
 * Sigma condition parser: tokens → Condition AST, one-token lookahead, precedence
 * `not` > `and` > `or` (pySigma's grammar; the specification lists the same order).
 */

/** A parsed condition node; `start`/`end` are offsets in the condition string. */
export type Condition =
  | { readonly k: 'and' | 'or'; readonly args: readonly Condition[]; readonly start: number; readonly end: number }
  | { readonly k: 'not'; readonly arg: Condition; readonly start: number; readonly end: number }
  | { readonly k: 'ref'; readonly name: string; readonly start: number; readonly end: number }
  /** `1 of pattern` / `all of pattern`; pattern `them` means every selection not starting with `_`. */
  | { readonly k: 'of'; readonly quant: 'one' | 'all'; readonly pattern: string; readonly start: number; readonly end: number };

/** Why a condition does not parse, and where. */
export interface ConditionError {
  readonly kind: 'syntax' | 'aggregation';
  readonly detail: string;
  readonly start: number;
  readonly end: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'all', '1', 'any']);

/** Deeper nesting than this is refused, so a hostile condition cannot exhaust the stack. */
const MAX_DEPTH = 200;

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }
  private next(): Token {
    return this.tokens[this.pos++]!;
  }
  private isWord(t: Token, w: string): boolean {
    return t.kind === 'word' && t.text.toLowerCase() === w;
  }
  private fail(t: Token, detail: string): never {
    throw { kind: 'syntax', detail, start: t.start, end: Math.max(t.end, t.start + 1) } satisfies ConditionError;
  }

  /** condition := or EOF */
  parse(): Condition {
    const c = this.parseOr();
    const t = this.peek();
    if (t.kind === 'pipe') throw { kind: 'aggregation', detail: 'aggregation', start: t.start, end: t.end } satisfies ConditionError;
    if (t.kind === 'rparen') this.fail(t, 'unbalanced `)`');
    if (t.kind !== 'eof') this.fail(t, `unexpected \`${t.text}\`; expected \`and\`, \`or\` or the end of the condition`);
    return c;
  }

  /** or := and ('or' and)* */
  private parseOr(): Condition {
    const first = this.parseAnd();
    const args = [first];
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      args.push(this.parseAnd());
    }
    return args.length === 1 ? first : { k: 'or', args, start: first.start, end: args[args.length - 1]!.end };
  }

  /** and := not ('and' not)* */
  private parseAnd(): Condition {
    const first = this.parseNot();
    const args = [first];
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      args.push(this.parseNot());
    }
    return args.length === 1 ? first : { k: 'and', args, start: first.start, end: args[args.length - 1]!.end };
  }

  /** not := 'not' not | primary */
  private parseNot(): Condition {
    const t = this.peek();
    if (++this.depth > MAX_DEPTH) this.fail(t, `nested more than ${MAX_DEPTH} levels deep`);
    try {
      if (this.isWord(t, 'not')) {
        this.next();
        const arg = this.parseNot();
        return { k: 'not', arg, start: t.start, end: arg.end };
      }
      return this.parsePrimary();
    } finally {
      this.depth--;
    }
  }

  /** primary := '(' or ')' | ('1' | 'any' | 'all') 'of' (pattern | 'them') | identifier */
  private parsePrimary(): Condition {
    const t = this.next();
    if (t.kind === 'lparen') {
      const inner = this.parseOr();
      const close = this.next();
      if (close.kind !== 'rparen') this.fail(close.kind === 'eof' ? t : close, close.kind === 'eof' ? 'unbalanced `(`: missing `)`' : `expected \`)\`, found \`${close.text}\``);
      return inner;
    }
    if (t.kind === 'eof') this.fail(t, 'unexpected end of condition');
    if (t.kind === 'rparen') this.fail(t, 'unbalanced `)`');
    if (t.kind === 'pipe') throw { kind: 'aggregation', detail: 'aggregation', start: t.start, end: t.end } satisfies ConditionError;
    const lower = t.text.toLowerCase();
    if (lower === '1' || lower === 'all' || lower === 'any') {
      const of = this.next();
      if (!this.isWord(of, 'of')) this.fail(of, `expected \`of\` after \`${t.text}\``);
      const target = this.next();
      if (target.kind !== 'word' || (KEYWORDS.has(target.text.toLowerCase()) && target.text.toLowerCase() !== 'them')) {
        this.fail(target, 'expected a selection name pattern or `them` after `of`');
      }
      const pattern = target.text.toLowerCase() === 'them' ? 'them' : target.text;
      return { k: 'of', quant: lower === 'all' ? 'all' : 'one', pattern, start: t.start, end: target.end };
    }
    if (KEYWORDS.has(lower)) this.fail(t, `unexpected keyword \`${t.text}\`; expected a selection name`);
    if (/^\d+$/.test(t.text) && this.isWord(this.peek(), 'of')) this.fail(t, 'only `1 of` and `all of` are defined');
    return { k: 'ref', name: t.text, start: t.start, end: t.end };
  }
}

/** Parses a condition string; returns the AST or the first error with its offsets. */
export function parseCondition(text: string): { ok: true; condition: Condition } | { ok: false; error: ConditionError } {
  const { tokens, error } = lexCondition(text);
  if (error) return { ok: false, error: { kind: 'syntax', detail: `unexpected character \`${error.char}\``, start: error.offset, end: error.offset + 1 } };
  try {
    return { ok: true, condition: new Parser(tokens).parse() };
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'kind' in e) return { ok: false, error: e as ConditionError };
    throw e;
  }
}
