import { diag } from '../diagnostics/diagnostic.js';
import type { Reporter } from '../reporter.js';
import { isSigmaKind, kindLabel, type Doc } from '../stages/classify.js';
import type { Check, CheckInput } from './check.js';

/**
 * VG4001: two documents define the same kind and name, or two Sigma documents the same id.
 * References by name or id would be ambiguous, and a bundle could silently get either one.
 */
export const duplicateId: Check = {
  code: 'VG4001',
  run({ model }: CheckInput, report: Reporter): void {
    const first = new Map<string, Doc>();
    for (const doc of model.docs) {
      if (doc.name === undefined || doc.kind === 'RuleTests') continue;
      const sigma = isSigmaKind(doc.kind);
      const key = sigma ? `sigma\0${doc.name}` : `${doc.kind}\0${doc.name}`;
      const earlier = first.get(key);
      if (earlier === undefined) {
        first.set(key, doc);
        continue;
      }
      report.report(
        diag('VG4001', doc.nameSpan, { what: sigma ? 'Sigma rule id' : kindLabel(doc.kind), name: doc.name }, {
          label: 'defined again here',
          related: [{ span: earlier.nameSpan, message: 'first defined here' }],
        }),
      );
    }
  },
};
