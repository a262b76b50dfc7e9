import { isScalar, isSeq, type Node, type YAMLMap, isPair } from 'yaml';
import { closest } from 'fastest-levenshtein';
import type { Expr } from '../../runtime/engine/ir.js';
import { parseWildcard, wildcardMatcher } from '../../runtime/engine/wildcard.js';
import { spanOfNode } from '../span.js';
import { diag } from '../diagnostics/diagnostic.js';
import { parseCondition, type Condition } from './condition-parser.js';
import { parseSelection } from './detection.js';
import { lowerSelection, type LowerContext } from './lower-detection.js';
import { exactInside, spanInScalar } from './spans.js';

/**
 * A detection section (or a filter section) → one IR expression over rule field names:
 * every selection lowered, every condition parsed and resolved, conditions in a list ORed.
 */

/** Compiles the selections and condition(s) of a detection-like map; `skip` names keys that are not selections. */
export function compileDetection(map: YAMLMap, conditionNode: Node | null | undefined, ctx: LowerContext, skip: readonly string[] = []): Expr | undefined {
  const { source, reporter } = ctx;
  const selections = new Map<string, Expr>();
  let ok = true;
  for (const pair of map.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    if (name === 'condition' || skip.includes(name)) continue;
    const sel = parseSelection(source, name, pair.key as Node, pair.value as Node | null, reporter);
    const expr = sel ? lowerSelection(sel, ctx) : undefined;
    if (expr) selections.set(name, expr);
    else ok = false;
  }
  const condNodes: Node[] = isSeq(conditionNode) ? (conditionNode.items as Node[]) : conditionNode ? [conditionNode] : [];
  const exprs: Expr[] = [];
  for (const node of condNodes) {
    if (!isScalar(node) || typeof node.value !== 'string') {
      reporter.report(diag('VG6018', spanOfNode(source.path, node as never), { field: 'condition', expected: 'a string or a list of strings' }));
      ok = false;
      continue;
    }
    const text = node.value;
    const parsed = parseCondition(text);
    if (!parsed.ok) {
      const { error } = parsed;
      const at = spanInScalar(source, node, error.start, error.end);
      const where = exactInside(source, node) ? '' : ` (at column ${error.start + 1} of the condition)`;
      if (error.kind === 'aggregation') reporter.report(diag('VG6019', at));
      else reporter.report(diag('VG6003', at, { detail: error.detail + where }));
      ok = false;
      continue;
    }
    // Unknown names are reported even if selections failed, so one run shows every problem.
    const names = [...map.items].filter(isPair).map((p) => (isScalar(p.key) ? String(p.key.value) : '')).filter((n) => n !== 'condition' && n !== '' && !skip.includes(n));
    const resolved = resolve(parsed.condition, names, selections, (c, code, args) => {
      reporter.report(diag(code, spanInScalar(source, node, c.start, c.end), args, code === 'VG6004' && names.length > 0 ? { hint: `did you mean \`${closest(String(args.name), names)}\`?` } : {}));
    });
    if (resolved) exprs.push(resolved);
    else ok = false;
  }
  if (!ok || exprs.length === 0) return undefined;
  return exprs.length === 1 ? exprs[0]! : { op: 'or', args: exprs };
}

type Report = (c: Condition, code: 'VG6004' | 'VG6005', args: Record<string, string>) => void;

/** Replaces selection names by their expressions; `them` skips names starting with `_` (pySigma). */
function resolve(c: Condition, names: readonly string[], selections: ReadonlyMap<string, Expr>, report: Report): Expr | undefined {
  switch (c.k) {
    case 'ref': {
      if (!names.includes(c.name)) {
        report(c, 'VG6004', { name: c.name });
        return undefined;
      }
      return selections.get(c.name);
    }
    case 'not': {
      const arg = resolve(c.arg, names, selections, report);
      return arg ? { op: 'not', arg } : undefined;
    }
    case 'and':
    case 'or': {
      const args = c.args.map((a) => resolve(a, names, selections, report));
      return args.every((a) => a !== undefined) ? { op: c.k, args: args as Expr[] } : undefined;
    }
    case 'of': {
      const match = c.pattern === 'them' ? (n: string) => !n.startsWith('_') : wildcardMatcher(parseWildcard(c.pattern));
      const picked = names.filter(match);
      if (picked.length === 0) {
        report(c, 'VG6005', { pattern: c.pattern });
        return undefined;
      }
      const args = picked.map((n) => selections.get(n));
      if (args.some((a) => a === undefined)) return undefined;
      return args.length === 1 ? args[0]! : { op: c.quant === 'all' ? 'and' : 'or', args: args as Expr[] };
    }
  }
}
