import { diag } from '../diagnostics/diagnostic.js';
import { didYouMean, suggest } from '../diagnostics/suggest.js';
import type { Reporter } from '../reporter.js';
import { symbolsOf } from '../model.js';
import type { ThreatScoreSpec } from '../../schema/generated/threat-score.js';
import type { Check, CheckInput } from './check.js';
import { spanAt } from './policy-refs.js';

/**
 * VG4107: a score entry selects by a tag or level that no Sigma rule of the repository has,
 * so the entry never scores anything (a misspelt tag is the usual cause).
 */
export const scoreSelectsNothing: Check = {
  code: 'VG4107',
  run({ model }: CheckInput, report: Reporter): void {
    const tags = new Set<string>();
    const levels = new Set<string>();
    for (const r of model.rules.values()) {
      for (const t of r.tags) tags.add(t);
      if (typeof r.doc.data.level === 'string') levels.add(r.doc.data.level);
    }
    for (const doc of symbolsOf(model, 'ThreatScore').values()) {
      const spec = doc.data.spec as ThreatScoreSpec;
      spec.scores.forEach((e, i) => {
        if (e.tag !== undefined && !tags.has(e.tag)) {
          const hint = didYouMean(suggest(e.tag, tags));
          report.report(diag('VG4107', spanAt(doc, ['spec', 'scores', i, 'tag']), { selector: 'tag', value: e.tag }, hint ? { hint } : {}));
        }
        if (e.level !== undefined && !levels.has(e.level)) report.report(diag('VG4107', spanAt(doc, ['spec', 'scores', i, 'level']), { selector: 'level', value: e.level }));
      });
    }
  },
};
