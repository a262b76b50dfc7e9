import type { ChainSpec, ChainStep } from '../../schema/generated/chain.js';
import type { ChainRule, ChainStepIR } from '../../runtime/engine/policy-ir.js';
import type { Doc } from '../stages/classify.js';
import { durationMs } from './duration.js';
import { filterRuleId } from './filter.js';

/** The refs a step needs: its rule id and/or its filter's lowered id. */
export function stepRefs(step: ChainStep): string[] {
  return [...(step.rule !== undefined ? [step.rule] : []), ...(step.filter !== undefined ? [filterRuleId(step.filter)] : [])];
}

function stepIR(step: ChainStep): ChainStepIR {
  return { refs: stepRefs(step), ...(step.name ? { name: step.name } : {}) };
}

/**
 * Lowers one Chain to Sigma's temporal_ordered correlation shape: the steps' refs in order,
 * grouped by the key fields, within the window. `generate` is true because a chain never
 * silences the rules it follows (they keep reporting on their own).
 */
export function lowerChain(doc: Doc): ChainRule {
  const spec = doc.data.spec as ChainSpec;
  const meta = (doc.data.metadata ?? {}) as { description?: string };
  const steps = spec.steps.map(stepIR);
  return {
    type: 'correlation',
    id: doc.name ?? '',
    name: doc.name ?? '',
    title: meta.description ?? doc.name ?? '',
    ...(spec.level ? { level: spec.level } : {}),
    attribution: { source: doc.source.path },
    correlation: 'temporal_ordered',
    rules: steps.map((s) => s.refs[0] ?? ''),
    groupBy: [...spec.key],
    timespanMs: durationMs(spec.window),
    generate: true,
    steps,
    ...(spec.notFollowedBy ? { notFollowedBy: stepIR(spec.notFollowedBy) } : {}),
    ...(spec.actions?.length ? { actions: [...spec.actions] } : {}),
  };
}
