import { diag } from '../diagnostics/diagnostic.js';
import type { Reporter } from '../reporter.js';
import { symbolsOf } from '../model.js';
import type { ScoreEntry, ThreatScoreSpec } from '../../schema/generated/threat-score.js';
import type { Doc } from '../stages/classify.js';
import type { Check, CheckInput } from './check.js';
import { spanAt } from './policy-refs.js';

function selectorOf(e: ScoreEntry): string {
  return JSON.stringify([e.rule ?? null, e.filter ?? null, e.tag ?? null, e.level ?? null]);
}

/**
 * VG4104: overlapping score definitions. Two entries of one threat score with the same
 * selectors (only the higher score ever counts), or two threat scores with the same key
 * scoring the same rule (each of its matches counts toward both, so one burst alerts twice).
 */
export const overlappingScores: Check = {
  code: 'VG4104',
  run({ model }: CheckInput, report: Reporter): void {
    const docs = [...symbolsOf(model, 'ThreatScore').entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, d]) => d);
    const byKeyRule = new Map<string, { doc: Doc; index: number }>();
    for (const doc of docs) {
      const spec = doc.data.spec as ThreatScoreSpec;
      const seen = new Map<string, number>();
      spec.scores.forEach((e, i) => {
        const sel = selectorOf(e);
        const first = seen.get(sel);
        if (first !== undefined) {
          report.report(diag('VG4104', spanAt(doc, ['spec', 'scores', i]), { what: `score entries ${first + 1} and ${i + 1} select the same events` }, {
            related: [{ span: spanAt(doc, ['spec', 'scores', first]), message: 'first selected here' }],
          }));
        } else seen.set(sel, i);
        if (e.rule === undefined) return;
        const k = JSON.stringify([spec.key, e.rule]);
        const other = byKeyRule.get(k);
        if (other === undefined) byKeyRule.set(k, { doc, index: i });
        else if (other.doc !== doc) {
          report.report(diag('VG4104', spanAt(doc, ['spec', 'scores', i, 'rule']), { what: `rule \`${e.rule}\` is also scored per \`${spec.key}\` by threat score \`${other.doc.name ?? ''}\`` }, {
            related: [{ span: spanAt(other.doc, ['spec', 'scores', other.index, 'rule']), message: 'also scored here' }],
          }));
        }
      });
    }
  },
};
