import { diag } from '../diagnostics/diagnostic.js';
import type { Reporter } from '../reporter.js';
import type { CorrelationRule } from '../../runtime/engine/ir.js';
import type { Doc } from '../stages/classify.js';
import type { Check, CheckInput } from './check.js';
import { spanAt } from './policy-refs.js';

/**
 * VG4105: Sigma correlations (which chains may use as steps) that refer to themselves,
 * directly or through other correlations. Such a correlation waits for its own alert and
 * can never fire; every chain built on it is dead too. Each cycle is reported once, at the
 * rule list of its alphabetically first member.
 */
export const ruleReferenceCycle: Check = {
  code: 'VG4105',
  run({ sigma }: CheckInput, report: Reporter): void {
    const byRef = new Map<string, { ir: CorrelationRule; doc: Doc }>();
    for (const [doc, compiled] of sigma) {
      if (compiled.ir.type !== 'correlation') continue;
      byRef.set(compiled.ir.id, { ir: compiled.ir, doc });
      if (compiled.ir.name) byRef.set(compiled.ir.name, { ir: compiled.ir, doc });
    }
    const reported = new Set<string>();
    const ids = [...new Set([...byRef.values()].map((c) => c.ir.id))].sort();
    for (const start of ids) {
      const path = findCycle(start, byRef);
      if (!path) continue;
      const members = [...new Set(path)].sort();
      const cycleKey = members.join('\u0000');
      if (reported.has(cycleKey) || members[0] !== start) continue;
      reported.add(cycleKey);
      const { doc } = byRef.get(start)!;
      // Names read better than UUIDs; correlations are usually referred to by name.
      const label = (id: string) => byRef.get(id)?.ir.name ?? id;
      report.report(diag('VG4105', spanAt(doc, ['correlation', 'rules']), { kind: 'Sigma correlation', name: label(start), path: path.map((p) => `\`${label(p)}\``).join(' → ') }));
    }
  },
};

/** A path of correlation ids from `start` back to `start`, if there is one. */
function findCycle(start: string, byRef: ReadonlyMap<string, { ir: CorrelationRule }>): string[] | undefined {
  const visited = new Set<string>();
  const walk = (id: string, path: string[]): string[] | undefined => {
    const node = byRef.get(id);
    if (!node) return undefined;
    for (const ref of node.ir.rules) {
      const next = byRef.get(ref);
      if (!next) continue;
      if (next.ir.id === start) return [...path, start];
      if (visited.has(next.ir.id)) continue;
      visited.add(next.ir.id);
      const found = walk(next.ir.id, [...path, next.ir.id]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(start, [start]);
}
