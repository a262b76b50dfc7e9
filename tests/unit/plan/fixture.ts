import type { DetectionRule, Expr } from '../../../runtime/engine/ir.js';
import type { GroupState } from '../../../targets/plan/plan.js';

/** A detection rule IR with one variant. */
export function rule(id: string, condition: Expr, extra: Partial<DetectionRule> = {}): DetectionRule {
  return { type: 'detection', id, title: `Rule ${id}`, level: 'low', status: 'test', logsource: { category: 'process_creation', product: 'windows' }, attribution: { source: `rules/${id}.yml` }, variants: [{ condition }], ...extra };
}

/** `Image endswith <v>`. */
export function endsWith(v: string): Expr {
  return { op: 'field', field: 'Image', tests: [{ t: 'str', m: 'endswith', v }] };
}

/** A group state with defaults for every section. */
export function group(name: string, extra: Partial<GroupState> = {}): GroupState {
  return { group: name, hosts: ['h1', 'h2'], packages: [], rules: [], filters: [], threatScores: [], chains: [], anomalies: [], auditChecks: [], services: [], actions: [], credentials: [], ...extra };
}

/** A rule entry of a group. */
export function entry(ir: DetectionRule, tested = true): GroupState['rules'][number] {
  return { ir, path: ir.attribution.source!, tested };
}
