import ipaddr from 'ipaddr.js';
import { closest } from 'fastest-levenshtein';
import type { Expr, Test } from '../../runtime/engine/ir.js';
import { compileRegex } from '../../runtime/engine/regex.js';
import { parseWildcard, escapeWildcard, type WildPiece } from '../../runtime/engine/wildcard.js';
import type { Source } from '../source.js';
import type { Reporter } from '../reporter.js';
import { diag } from '../diagnostics/diagnostic.js';
import type { FieldItem, Selection, ValueItem } from './detection.js';
import { MODIFIERS, parseChain, type ModifierChain } from './modifiers.js';
import { base64, base64Offsets, bytesAsText, utf16, utf8, windash, type Piece } from './encodings.js';
import { foldCase } from '../../runtime/engine/fold-case.js';

/**
 * Selections → IR expressions over rule field names. Everything that can be decided at compile
 * time is: encodings, windash and placeholders become alternative literals, wildcard strings
 * become eq/contains/startswith/endswith where they can, needles are lowercased once.
 */

/** What lowering needs besides the selection. */
export interface LowerContext {
  readonly source: Source;
  readonly reporter: Reporter;
  readonly placeholders: Readonly<Record<string, readonly string[]>>;
}

/** A wildcard string → the cheapest test that means the same. */
export function patternTest(pattern: string, cased: boolean): Test {
  return piecesTest(parseWildcard(pattern), cased);
}

/** Parsed wildcard pieces → the cheapest test that means the same. */
export function piecesTest(pieces: readonly WildPiece[], cased: boolean): Test {
  const fold = (s: string) => (cased ? s : foldCase(s));
  const flag = cased ? { cased: true as const } : {};
  const star = (p: unknown) => typeof p !== 'string' && (p as { wild: string }).wild === '*';
  if (pieces.every((p) => typeof p === 'string')) return { t: 'str', m: 'eq', v: fold(pieces.join('')), ...flag };
  if (pieces.length === 3 && star(pieces[0]) && typeof pieces[1] === 'string' && star(pieces[2])) return { t: 'str', m: 'contains', v: fold(pieces[1]), ...flag };
  if (pieces.length === 2 && typeof pieces[0] === 'string' && star(pieces[1])) return { t: 'str', m: 'startswith', v: fold(pieces[0]), ...flag };
  if (pieces.length === 2 && star(pieces[0]) && typeof pieces[1] === 'string') return { t: 'str', m: 'endswith', v: fold(pieces[1]), ...flag };
  const text = pieces.map((p) => (typeof p === 'string' ? escapeWildcard(p) : p.wild)).join('');
  return { t: 'glob', v: fold(text), ...flag };
}

/** Joins adjacent literal pieces so `piecesTest` recognises the simple shapes. */
function mergeLiterals(pieces: readonly WildPiece[]): WildPiece[] {
  const out: WildPiece[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (typeof p === 'string' && typeof last === 'string') out[out.length - 1] = last + p;
    else if (p !== '') out.push(p);
  }
  return out;
}

function literalOf(pattern: string): string | undefined {
  const pieces = parseWildcard(pattern);
  return pieces.every((p) => typeof p === 'string') ? pieces.join('') : undefined;
}

function bad(ctx: LowerContext, at: ValueItem, what: string, expected: string, actual: string): undefined {
  ctx.reporter.report(diag('VG6008', at.span, { what, expected, actual }));
  return undefined;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : typeof v === 'string' ? `the string \`${v}\`` : `the ${typeof v} \`${String(v)}\``;
}

/** Replaces `%name%` placeholders by each of their values (cartesian product); `\\%` is a literal percent sign. */
function expandPlaceholders(text: string, ctx: LowerContext, at: ValueItem): string[] | undefined {
  let out = [''];
  let lit = '';
  const flush = () => {
    out = out.map((prefix) => prefix + lit);
    lit = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === '%') {
      lit += '%';
      i++;
      continue;
    }
    const close = c === '%' ? text.indexOf('%', i + 1) : -1;
    const name = close > i + 1 ? text.slice(i + 1, close) : '';
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
      lit += c;
      continue;
    }
    const values = ctx.placeholders[name];
    if (!values || values.length === 0) {
      ctx.reporter.report(diag('VG6012', at.span, { name }));
      return undefined;
    }
    flush();
    out = out.flatMap((prefix) => values.map((v) => prefix + escapeWildcard(v)));
    i = close;
  }
  flush();
  return out;
}

/** Runs the encoding/expansion steps over a string value; undefined when a step cannot apply. */
function transform(text: string, chain: ModifierChain, ctx: LowerContext, at: ValueItem): Piece[] | undefined | 'never' {
  let pieces: Piece[] = [{ kind: 'text', text }];
  for (const step of chain.transforms) {
    const next: Piece[] = [];
    for (const p of pieces) {
      if (step === 'expand') {
        if (p.kind !== 'text') return bad(ctx, at, '`expand`', 'text', 'bytes');
        const expanded = expandPlaceholders(p.text, ctx, at);
        if (!expanded) return 'never';
        for (const e of expanded) next.push({ kind: 'text', text: e });
      } else if (step === 'windash') {
        if (p.kind !== 'text') return bad(ctx, at, '`windash`', 'text', 'bytes');
        for (const w of windash(p.text)) next.push({ kind: 'text', text: w });
      } else {
        let bytes: Uint8Array;
        if (p.kind === 'bytes') bytes = p.bytes;
        else {
          const lit = literalOf(p.text);
          if (lit === undefined) return bad(ctx, at, `\`${step}\``, 'a value without wildcards', `\`${p.text}\``);
          bytes = step === 'base64' || step === 'base64offset' ? utf8(lit) : step === 'utf16be' ? utf16(lit, 'be') : utf16(lit, 'le', step === 'utf16');
        }
        if (step === 'base64') next.push({ kind: 'text', text: escapeWildcard(base64(bytes)) });
        else if (step === 'base64offset') for (const b of base64Offsets(bytes)) next.push({ kind: 'text', text: escapeWildcard(b) });
        else if (p.kind === 'bytes') return bad(ctx, at, `\`${step}\``, 'text', 'bytes');
        else next.push({ kind: 'bytes', bytes });
      }
    }
    pieces = next;
  }
  return pieces;
}

/** One value under a checked chain → its alternative tests. */
function lowerValue(item: ValueItem, chain: ModifierChain, ctx: LowerContext, key: string): Test[] | undefined {
  const v = item.value;
  const what = `\`${key}\``;
  if (v === null) {
    if (chain.regex !== undefined || chain.cidr || chain.compare || chain.fieldref || chain.datePart || chain.transforms.length > 0 || chain.mode) {
      return bad(ctx, item, what, 'a non-null value', 'null');
    }
    return [{ t: 'null' }];
  }
  if (chain.regex !== undefined) {
    if (typeof v !== 'string') return bad(ctx, item, what, 'a regular expression string', typeName(v));
    const re = compileRegex(v, chain.regex);
    if (!re.ok) {
      ctx.reporter.report(diag('VG6006', item.span, { reason: re.reason }));
      return undefined;
    }
    return [{ t: 're', v, flags: chain.regex }];
  }
  if (chain.cidr) {
    const text = String(v);
    try {
      ipaddr.parseCIDR(text);
    } catch {
      ctx.reporter.report(diag('VG6007', item.span, { value: text }));
      return undefined;
    }
    return [{ t: 'cidr', v: text }];
  }
  if (chain.datePart || chain.compare) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (Number.isNaN(n)) return bad(ctx, item, what, 'a number', typeName(v));
    // `1e999` is Infinity, which no bundle (canonical JSON) can carry.
    if (!Number.isFinite(n)) return bad(ctx, item, what, 'a finite number', `\`${String(v)}\``);
    if (chain.datePart) return [{ t: 'date', part: chain.datePart, op: chain.compare ?? 'eq', v: n }];
    return [{ t: 'num', op: chain.compare!, v: n }];
  }
  if (chain.fieldref) {
    if (typeof v !== 'string') return bad(ctx, item, what, 'a field name', typeName(v));
    return [{ t: 'fieldref', f: v, m: chain.mode ?? 'eq', ...(chain.cased ? { cased: true as const } : {}) }];
  }
  if (typeof v === 'number' && !chain.mode && chain.transforms.length === 0) return [{ t: 'num', op: 'eq', v }];
  if (typeof v !== 'string' && chain.transforms.length > 0) return bad(ctx, item, `\`${chain.transforms[0]}\``, 'a string', typeName(v));
  const text = typeof v === 'string' ? v : item.text ?? String(v);
  const pieces = transform(text, chain, ctx, item);
  if (pieces === undefined) return undefined;
  if (pieces === 'never') return [{ t: 'never' }];
  const tests: Test[] = [];
  for (const p of pieces) {
    // The mode adds wildcards as pieces, not characters, so a value ending in `\\` keeps its backslash.
    const pieces: WildPiece[] = p.kind === 'text' ? parseWildcard(p.text) : [bytesAsText(p.bytes)];
    const star: WildPiece = { wild: '*' };
    if (chain.mode === 'contains' || chain.mode === 'endswith') pieces.unshift(star);
    if (chain.mode === 'contains' || chain.mode === 'startswith') pieces.push(star);
    tests.push(piecesTest(mergeLiterals(pieces), chain.cased));
  }
  return tests;
}

/** Reports a chain's problems at the offending modifier, with a did-you-mean hint for unknown ones. */
function reportChain(item: FieldItem, problems: ReturnType<typeof parseChain>['problems'], ctx: LowerContext): void {
  for (const p of problems) {
    const at = item.modifierSpans[p.index] ?? item.keySpan;
    if (p.kind === 'unknown') {
      const near = closest(p.modifier, Object.keys(MODIFIERS));
      ctx.reporter.report(diag('VG6001', at, { modifier: p.modifier }, { hint: `did you mean \`${near}\`?` }));
    } else ctx.reporter.report(diag('VG6002', at, { modifier: p.modifier, other: p.other }));
  }
}

/** One `field|mods: values` item → an expression; undefined after reporting a problem. */
export function lowerFieldItem(item: FieldItem, ctx: LowerContext): Expr | undefined {
  const key = [item.field ?? '', ...item.modifiers].join('|');
  const { chain, problems } = parseChain(item.modifiers);
  if (!chain) {
    reportChain(item, problems, ctx);
    return undefined;
  }
  const field = item.field;
  if (chain.exists) {
    const v = item.values[0]!;
    if (item.values.length !== 1 || typeof v.value !== 'boolean') return bad(ctx, v, '`exists`', 'a single boolean (`true` or `false`)', typeName(v.value));
    if (field === undefined) return bad(ctx, v, '`exists`', 'a field name', 'a keyword');
    return { op: 'exists', field, value: v.value };
  }
  if (chain.all && item.values.length < 2) ctx.reporter.report(diag('VG6011', item.modifierSpans[item.modifiers.indexOf('all')] ?? item.keySpan));
  // Keywords are full-text searches: a keyword matches inside any value unless it says where.
  const effective: ModifierChain = field === undefined && !chain.mode && chain.regex === undefined && !chain.cidr ? { ...chain, mode: 'contains' } : chain;
  const perValue: Test[][] = [];
  let ok = true;
  for (const v of item.values) {
    const tests = lowerValue(v, effective, ctx, key);
    if (tests) perValue.push(tests);
    else ok = false;
  }
  if (!ok) return undefined;
  const node = (tests: Test[]): Expr => (field === undefined ? { op: 'keyword', tests } : { op: 'field', field, tests });
  let expr: Expr = chain.all && perValue.length > 1 ? { op: 'and', args: perValue.map(node) } : node(perValue.flat());
  if (chain.neq) {
    if (field === undefined) return bad(ctx, item.values[0]!, '`neq`', 'a field name', 'a keyword');
    expr = { op: 'and', args: [{ op: 'exists', field, value: true }, { op: 'not', arg: expr }] };
  }
  return expr;
}

/** A selection → OR over its alternatives of AND over field items. */
export function lowerSelection(sel: Selection, ctx: LowerContext): Expr | undefined {
  const alts: Expr[] = [];
  let ok = true;
  for (const alt of sel.alternatives) {
    const parts: Expr[] = [];
    for (const item of alt) {
      const e = lowerFieldItem(item, ctx);
      if (e) parts.push(e);
      else ok = false;
    }
    alts.push(parts.length === 1 ? parts[0]! : { op: 'and', args: parts });
  }
  if (!ok) return undefined;
  return alts.length === 1 ? alts[0]! : { op: 'or', args: alts };
}
