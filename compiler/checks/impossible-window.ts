import { diag } from '../diagnostics/diagnostic.js';
import type { Reporter } from '../reporter.js';
import { symbolsOf } from '../model.js';
import type { ChainSpec } from '../../schema/generated/chain.js';
import type { CorrelationRule } from '../../runtime/engine/ir.js';
import { durationMs, formatDuration } from '../lower/duration.js';
import type { Check, CheckInput } from './check.js';
import { spanAt } from './policy-refs.js';

/**
 * VG4106: a chain whose window is shorter than its steps can happen in. Steps are distinct
 * events in order, so a `0s` window leaves them no time; and a step that is a Sigma correlation
 * with an upper bound (`lt`/`lte`) can only fire once its own timespan is over, so a chain
 * window shorter than that timespan can never hold it.
 */
export const impossibleWindow: Check = {
  code: 'VG4106',
  run({ model, sigma }: CheckInput, report: Reporter): void {
    const corr = new Map<string, CorrelationRule>();
    for (const c of sigma.values()) {
      if (c.ir.type !== 'correlation') continue;
      corr.set(c.ir.id, c.ir);
      if (c.ir.name) corr.set(c.ir.name, c.ir);
    }
    for (const doc of symbolsOf(model, 'Chain').values()) {
      const spec = doc.data.spec as ChainSpec;
      const window = durationMs(spec.window);
      if (Number.isNaN(window)) continue;
      const at = spanAt(doc, ['spec', 'window']);
      if (window === 0) {
        report.report(diag('VG4106', at, { detail: `window \`0s\` leaves no time for ${spec.steps.length} steps in order` }));
        continue;
      }
      spec.steps.forEach((step, i) => {
        const c = step.rule === undefined ? undefined : corr.get(step.rule);
        if (!c || !c.condition || (c.condition.lt === undefined && c.condition.lte === undefined)) return;
        if (c.timespanMs <= window) return;
        report.report(diag('VG4106', at, {
          detail: `step ${i + 1} is correlation \`${c.id}\`, which fires only after its ${formatDuration(c.timespanMs)} timespan, longer than the chain's ${formatDuration(window)} window`,
        }, { related: [{ span: spanAt(doc, ['spec', 'steps', i, 'rule']), message: 'this step' }] }));
      });
    }
  },
};
