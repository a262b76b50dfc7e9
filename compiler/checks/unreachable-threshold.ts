import { diag } from '../diagnostics/diagnostic.js';
import type { Reporter } from '../reporter.js';
import { symbolsOf } from '../model.js';
import type { ThreatScoreSpec } from '../../schema/generated/threat-score.js';
import type { Check, CheckInput } from './check.js';
import { spanAt } from './policy-refs.js';

/**
 * VG4103: a threat score's threshold is more than all its entries' scores added up. It can
 * then only alert when the same rules fire again and again, which is rarely what a score of
 * several distinct tools is meant to do; usually a score was lowered and the threshold
 * forgotten. A score with a single entry counts repeats of that entry by design (ten failed
 * logons of 5 reach 50), so it is only reported when its score is 0.
 */
export const unreachableThreshold: Check = {
  code: 'VG4103',
  run({ model }: CheckInput, report: Reporter): void {
    for (const doc of symbolsOf(model, 'ThreatScore').values()) {
      const spec = doc.data.spec as ThreatScoreSpec;
      const sum = spec.scores.reduce((s, e) => s + (typeof e.score === 'number' ? e.score : 0), 0);
      const counting = spec.scores.length === 1 && sum > 0;
      if (sum < spec.threshold && !counting) report.report(diag('VG4103', spanAt(doc, ['spec', 'threshold']), { threshold: spec.threshold, sum }));
    }
  },
};
