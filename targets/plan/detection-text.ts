import type { CorrelationRule, Expr, Rule, RuleExpr, Test, Variant } from '../../runtime/engine/ir.js';

/**
 * Detection logic as normalized text, one statement per line, so two versions of a rule can be
 * diffed line by line. It is printed from the IR (what the agent runs), never from the YAML, so
 * reordered keys, comments and quoting styles make no difference, and a changed modifier does.
 */

/** Lines longer than this are split: one argument or value per line, which diffs well. */
const WIDTH = 100;

/** The detection logic of a compiled rule, as lines. */
export function ruleText(rule: Rule): string[] {
  if (rule.type === 'correlation') return correlationText(rule);
  const lines: string[] = [];
  const logsource = Object.entries(rule.logsource).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`);
  if (logsource.length > 0) lines.push(`logsource: ${logsource.join(' ')}`);
  if (rule.type === 'filter') lines.push(`applies to: ${rule.rules === 'any' ? 'any rule' : rule.rules.join(', ')}`);
  if (rule.variants.length === 0) lines.push('condition: false');
  for (const v of rule.variants) lines.push(...variantText(v, rule.variants.length > 1));
  return lines;
}

function variantText(v: Variant, several: boolean): string[] {
  const scope: string[] = [];
  if (v.channels) scope.push(`channel ${v.channels.map(quote).join(', ')}`);
  if (v.eventIds) scope.push(`event id ${v.eventIds.join(', ')}`);
  const head = scope.length > 0 ? `when ${scope.join(' and ')}:` : several ? 'otherwise:' : 'condition:';
  return [head, ...exprLines(v.condition).map((l) => `  ${l}`)];
}

function correlationText(rule: CorrelationRule): string[] {
  const lines = [`correlation: ${rule.correlation}`, `rules: ${rule.rules.join(', ')}`, `timespan: ${duration(rule.timespanMs)}`];
  if (rule.groupBy.length > 0) lines.push(`group by: ${rule.groupBy.join(', ')}`);
  const c = rule.condition;
  if (c) {
    const parts = (['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const).flatMap((k) => (c[k] === undefined ? [] : [`${SYMBOL[k]} ${c[k]}`]));
    const of = c.field === undefined ? '' : ` of ${c.field}${c.percentile === undefined ? '' : ` (p${c.percentile})`}`;
    lines.push(`condition: count${of} ${parts.join(' and ')}`);
  }
  if (rule.ruleCondition) lines.push(`rule condition: ${ruleExprText(rule.ruleCondition)}`);
  for (const alias of Object.keys(rule.aliases ?? {}).sort()) {
    const map = rule.aliases![alias]!;
    lines.push(`alias ${alias}: ${Object.keys(map).sort().map((k) => `${k}.${map[k]}`).join(', ')}`);
  }
  lines.push(`generate: ${rule.generate}`);
  return lines;
}

const SYMBOL = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=', neq: '!=' } as const;

function ruleExprText(e: RuleExpr): string {
  if (e.op === 'rule') return e.ref;
  if (e.op === 'not') return `not ${ruleExprText(e.arg)}`;
  return `(${e.args.map(ruleExprText).join(` ${e.op} `)})`;
}

function duration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0 && ms >= size) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** An expression as lines: on one line when it fits, else one argument per line under `all of:`/`any of:`. */
export function exprLines(e: Expr): string[] {
  const flat = exprInline(e);
  if (flat !== undefined && flat.length <= WIDTH) return [flat];
  switch (e.op) {
    case 'and':
    case 'or':
      return [`${e.op === 'and' ? 'all' : 'any'} of:`, ...e.args.flatMap((a) => exprLines(a).map((l) => `  ${l}`))];
    case 'not':
      return ['not:', ...exprLines(e.arg).map((l) => `  ${l}`)];
    case 'field':
    case 'keyword': {
      const subject = e.op === 'field' ? e.field : 'keyword';
      const groups = testGroups(e.tests);
      if (groups.length === 1) {
        const [word, values] = groups[0]!;
        return [`${subject} ${word} ${e.all ? 'all' : 'one'} of:`, ...values.map((v) => `  ${v}`)];
      }
      return [`${subject} ${e.all ? 'all' : 'any'} of:`, ...e.tests.map((t) => `  ${testText(t)}`)];
    }
    default:
      return [flat ?? ''];
  }
}

/** One-line form of an expression; nested and/or get parentheses. */
function exprInline(e: Expr): string | undefined {
  switch (e.op) {
    case 'const':
      return String(e.value);
    case 'exists':
      return `${e.field} ${e.value ? 'exists' : 'does not exist'}`;
    case 'not': {
      const inner = exprInline(e.arg);
      return inner === undefined ? undefined : `not ${wrap(e.arg, inner)}`;
    }
    case 'and':
    case 'or': {
      const parts = e.args.map((a) => {
        const text = exprInline(a);
        return text === undefined ? undefined : wrap(a, text);
      });
      return parts.every((p) => p !== undefined) ? parts.join(` ${e.op} `) : undefined;
    }
    case 'field':
    case 'keyword': {
      const subject = e.op === 'field' ? e.field : 'keyword';
      if (e.tests.length === 1) return `${subject} ${testText(e.tests[0]!)}`;
      const groups = testGroups(e.tests);
      if (groups.length === 1) return `${subject} ${groups[0]![0]} ${e.all ? 'all' : 'one'} of (${groups[0]![1].join(', ')})`;
      return `${subject} ${e.all ? 'all' : 'any'} of (${e.tests.map(testText).join(', ')})`;
    }
  }
}

function wrap(e: Expr, text: string): string {
  return e.op === 'and' || e.op === 'or' ? `(${text})` : text;
}

/** Tests grouped by their operator word, when they are all of one kind. */
function testGroups(tests: readonly Test[]): [string, string[]][] {
  const out = new Map<string, string[]>();
  for (const t of tests) {
    const [word, value] = testParts(t);
    if (!out.has(word)) out.set(word, []);
    out.get(word)!.push(value);
  }
  return [...out.entries()];
}

/** A value test as text: `endswith '\whoami.exe'`, `matches /x/i`, `>= 5`. */
export function testText(t: Test): string {
  const [word, value] = testParts(t);
  return value === '' ? word : `${word} ${value}`;
}

function testParts(t: Test): [string, string] {
  const cased = 'cased' in t && t.cased ? ' (cased)' : '';
  switch (t.t) {
    case 'str':
      return [(t.m === 'eq' ? '=' : t.m) + cased, quote(t.v)];
    case 'glob':
      return [`like${cased}`, quote(t.v)];
    case 're':
      return ['matches', `/${t.v}/${t.flags}`];
    case 'cidr':
      return ['in cidr', t.v];
    case 'num':
      return [t.op === 'eq' ? '==' : SYMBOL[t.op], String(t.v)];
    case 'null':
      return ['is null', ''];
    case 'fieldref':
      return [`${t.m === 'eq' ? '=' : t.m}${cased} field`, t.f];
    case 'date':
      return [`${t.part} ${SYMBOL[t.op]}`, String(t.v)];
    case 'never':
      return ['never matches', ''];
  }
}

/** A string value in single quotes (doubled inside), with control characters made visible. */
export function quote(v: string): string {
  const visible = v.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `'${visible.replace(/'/g, "''")}'`;
}
