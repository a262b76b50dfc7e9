import type { Reporter } from '../reporter.js';
import type { Span } from '../span.js';
import { diag } from '../diagnostics/diagnostic.js';
import type { Rule } from '../../runtime/engine/ir.js';

/**
 * Cross-document checks of a Sigma rule set: every rule a correlation or filter names must be
 * loaded (by id or name, as the correlation specification allows), and correlation aliases
 * must name referenced rules.
 */

/** A compiled rule with the span to blame for its references. */
export interface Linkable {
  readonly ir: Rule;
  readonly refsSpan: Span;
}

/** Reports every reference to a rule that is not in the set. */
export function linkSigma(rules: readonly Linkable[], reporter: Reporter): void {
  const known = new Set<string>();
  for (const { ir } of rules) {
    known.add(ir.id);
    if (ir.name) known.add(ir.name);
  }
  for (const { ir, refsSpan } of rules) {
    const refs = ir.type === 'correlation' ? ir.rules : ir.type === 'filter' && ir.rules !== 'any' ? ir.rules : [];
    for (const ref of refs) if (!known.has(ref)) reporter.report(diag('VG6015', refsSpan, { ref }));
  }
}
