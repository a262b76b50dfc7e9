import { diag } from '../diagnostics/diagnostic.js';
import type { Reporter } from '../reporter.js';
import { symbolsOf } from '../model.js';
import type { Check, CheckInput } from './check.js';
import { ruleRefsOf } from './policy-refs.js';

/**
 * VG4102: a host group receives a threat score or chain, but not a Sigma rule it names. The
 * agents of that group never evaluate the rule, so that score entry or step never fires there
 * (a chain through it never completes). Reported once per group and reference.
 */
export const ruleNotDeployed: Check = {
  code: 'VG4102',
  run({ model }: CheckInput, report: Reporter): void {
    const groups = [...model.groups.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    // Groups with the same packages share one rule list (resolve-groups.ts): one set per list, built only when needed.
    const sets = new Map<readonly string[], ReadonlySet<string>>();
    for (const group of groups) {
      const list = group.effective.rules;
      const rules = { has: (id: string) => (sets.get(list) ?? sets.set(list, new Set(list)).get(list)!).has(id) };
      const kinds = [['ThreatScore', group.effective.threatScores, 'threat score'], ['Chain', group.effective.chains, 'chain']] as const;
      for (const [kind, names, label] of kinds) {
        for (const name of names) {
          const doc = symbolsOf(model, kind).get(name);
          if (!doc) continue;
          for (const ref of ruleRefsOf(doc)) {
            if (!model.rules.has(ref.id) || rules.has(ref.id)) continue;
            report.report(diag('VG4102', ref.span, { group: group.name, kind: label, name, id: ref.id }));
          }
        }
      }
    }
  },
};
