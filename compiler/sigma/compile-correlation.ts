import { isMap, isScalar, type Node, type YAMLMap } from 'yaml';
import type { CorrelationCondition, CorrelationRule, RuleExpr } from '../../runtime/engine/ir.js';
import { spanOfNode } from '../span.js';
import type { Source } from '../source.js';
import type { Reporter } from '../reporter.js';
import { diag } from '../diagnostics/diagnostic.js';
import { parseCondition, type Condition } from './condition-parser.js';
import { spanInScalar } from './spans.js';
import { jsOf, pairOf } from './yaml-nodes.js';

/**
 * Sigma correlation rules (correlation rules specification, 2.1.0): event_count, value_count,
 * temporal, temporal_ordered, value_sum, value_avg, value_percentile.
 */

const TYPES = ['event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg', 'value_percentile'] as const;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, M: 2_592_000_000, y: 31_536_000_000 };
const BOUNDS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;

/** Parses `30s`, `5m`, `1h`, `7d`, `2w`, `1M`, `1y` into milliseconds. */
export function parseTimespan(text: string): number | undefined {
  const m = /^(\d+)([smhdwMy])$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]!]! : NaN;
  // Hundreds of digits give Infinity, which no bundle can carry: not a timespan.
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Metadata shared by every compiled rule kind. */
export interface RuleHeader {
  readonly id: string;
  readonly name?: string;
  readonly title: string;
  readonly level?: string;
  readonly status?: string;
  readonly tags?: readonly string[];
  readonly attribution: CorrelationRule['attribution'];
}

function ruleExpr(c: Condition, rules: readonly string[], report: (c: Condition, name: string) => void): RuleExpr | undefined {
  switch (c.k) {
    case 'ref':
      if (!rules.includes(c.name)) {
        report(c, c.name);
        return undefined;
      }
      return { op: 'rule', ref: c.name };
    case 'not': {
      const arg = ruleExpr(c.arg, rules, report);
      return arg ? { op: 'not', arg } : undefined;
    }
    case 'and':
    case 'or': {
      const args = c.args.map((a) => ruleExpr(a, rules, report));
      return args.every(Boolean) ? { op: c.k, args: args as RuleExpr[] } : undefined;
    }
    case 'of': {
      const args: RuleExpr[] = rules.map((ref) => ({ op: 'rule', ref }));
      return { op: c.quant === 'all' ? 'and' : 'or', args };
    }
  }
}

/** Compiles the `correlation` section of a document; undefined after reporting problems. */
export function compileCorrelation(source: Source, section: Node | null, header: RuleHeader, generateNode: Node | null | undefined, reporter: Reporter): CorrelationRule | undefined {
  const at = spanOfNode(source.path, section as never);
  const bad = (node: Node | null | undefined, detail: string) => {
    reporter.report(diag('VG6013', node ? spanOfNode(source.path, node as never) : at, { detail }));
    return undefined;
  };
  if (!isMap(section)) return bad(section, '`correlation` must be a map');
  const map = section as YAMLMap;
  let ok = true;
  const typeNode = pairOf(map, 'type')?.value;
  const type = jsOf(typeNode);
  if (typeof type !== 'string' || !(TYPES as readonly string[]).includes(type)) {
    bad(typeNode ?? section, typeNode ? `unknown correlation type \`${String(type)}\`; expected one of ${TYPES.join(', ')}` : 'missing `type`');
    ok = false;
  }
  const rulesNode = pairOf(map, 'rules')?.value;
  const rulesVal = jsOf(rulesNode);
  const rules = typeof rulesVal === 'string' ? [rulesVal] : Array.isArray(rulesVal) && rulesVal.every((r) => typeof r === 'string') ? (rulesVal as string[]) : undefined;
  if (!rules || rules.length === 0) {
    bad(rulesNode ?? section, '`rules` must list at least one rule id or name');
    ok = false;
  }
  const groupNode = pairOf(map, 'group-by')?.value;
  const groupVal = jsOf(groupNode);
  const groupBy = groupVal === undefined || groupVal === null ? [] : typeof groupVal === 'string' ? [groupVal] : Array.isArray(groupVal) ? groupVal.map(String) : undefined;
  if (!groupBy) {
    bad(groupNode, '`group-by` must be a list of field names');
    ok = false;
  }
  const spanNode = pairOf(map, 'timespan')?.value ?? pairOf(map, 'timeframe')?.value;
  const spanText = jsOf(spanNode);
  const timespanMs = typeof spanText === 'string' ? parseTimespan(spanText) : undefined;
  if (timespanMs === undefined) {
    if (spanNode) reporter.report(diag('VG6014', spanOfNode(source.path, spanNode as never), { value: String(spanText) }));
    else bad(section, 'missing `timespan`');
    ok = false;
  }
  const condNode = pairOf(map, 'condition')?.value;
  let condition: CorrelationCondition | undefined;
  let ruleCondition: RuleExpr | undefined;
  const temporal = type === 'temporal' || type === 'temporal_ordered';
  if (isScalar(condNode) && typeof condNode.value === 'string' && temporal && rules) {
    const parsed = parseCondition(condNode.value);
    if (!parsed.ok) {
      reporter.report(diag('VG6003', spanInScalar(source, condNode, parsed.error.start, parsed.error.end), { detail: parsed.error.detail }));
      ok = false;
    } else {
      ruleCondition = ruleExpr(parsed.condition, rules, (c, name) => reporter.report(diag('VG6015', spanInScalar(source, condNode, c.start, c.end), { ref: name })));
      if (!ruleCondition) ok = false;
    }
  } else if (condNode !== undefined) {
    const c = jsOf(condNode);
    if (typeof c !== 'object' || c === null || Array.isArray(c)) {
      bad(condNode, '`condition` must be a map such as `gte: 10`');
      ok = false;
    } else {
      const cm = c as Record<string, unknown>;
      const out: Record<string, number | string> = {};
      for (const [k, v] of Object.entries(cm)) {
        if ((BOUNDS as readonly string[]).includes(k) || k === 'percentile') {
          if (typeof v !== 'number') {
            bad(pairOf(condNode, k)?.value, `\`${k}\` must be a number`);
            ok = false;
          } else out[k] = v;
        } else if (k === 'field') {
          if (typeof v !== 'string') {
            bad(pairOf(condNode, k)?.value, '`field` must be a field name');
            ok = false;
          } else out.field = v;
        } else {
          bad(pairOf(condNode, k)?.key as Node, `unknown condition key \`${k}\`; expected gt, gte, lt, lte, eq, neq or field`);
          ok = false;
        }
      }
      if (!BOUNDS.some((b) => b in out)) {
        bad(condNode, '`condition` needs at least one of gt, gte, lt, lte, eq, neq');
        ok = false;
      }
      condition = out as CorrelationCondition;
    }
  }
  const needsField = type === 'value_count' || type === 'value_sum' || type === 'value_avg' || type === 'value_percentile';
  if (ok && typeof type === 'string' && !temporal && !condition) return bad(section, `\`${type}\` needs a \`condition\``);
  if (ok && needsField && !condition?.field) return bad(condNode, `\`${String(type)}\` needs \`condition.field\``);
  const aliasesNode = pairOf(map, 'aliases')?.value;
  const aliasesVal = jsOf(aliasesNode);
  let aliases: Record<string, Record<string, string>> | undefined;
  if (aliasesVal !== undefined && aliasesVal !== null) {
    if (typeof aliasesVal !== 'object' || Array.isArray(aliasesVal)) {
      bad(aliasesNode, '`aliases` must map alias names to {rule: field} maps');
      ok = false;
    } else aliases = aliasesVal as Record<string, Record<string, string>>;
  }
  const generateVal = jsOf(generateNode ?? pairOf(map, 'generate')?.value);
  if (generateVal !== undefined && typeof generateVal !== 'boolean') {
    bad(generateNode, '`generate` must be true or false');
    ok = false;
  }
  if (!ok) return undefined;
  return {
    type: 'correlation',
    ...header,
    correlation: type as CorrelationRule['correlation'],
    rules: rules!,
    groupBy: groupBy!,
    timespanMs: timespanMs!,
    ...(condition ? { condition } : {}),
    ...(ruleCondition ? { ruleCondition } : {}),
    ...(aliases ? { aliases } : {}),
    generate: generateVal === true,
  };
}
