import { diag } from '../diagnostics/diagnostic.js';
import type { Reporter } from '../reporter.js';
import type { Check, CheckInput } from './check.js';
import { ruleRefsOf, scoringDocs } from './policy-refs.js';

/**
 * VG4101: a threat score entry or chain step names a Sigma filter document. Filters only
 * narrow the rules they apply to and never report a match themselves, so the score or step
 * could never fire. (Unknown rule ids are reported by the resolve stage as VG3002.)
 */
export const threatScoreReference: Check = {
  code: 'VG4101',
  run({ model }: CheckInput, report: Reporter): void {
    for (const doc of scoringDocs(model)) {
      for (const ref of ruleRefsOf(doc)) {
        if (model.rules.get(ref.id)?.doc.kind === 'SigmaFilter') report.report(diag('VG4101', ref.span, { id: ref.id }));
      }
    }
  },
};
