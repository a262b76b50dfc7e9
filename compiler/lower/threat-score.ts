import type { ThreatScoreSpec } from '../../schema/generated/threat-score.js';
import type { ScoreEntryIR, ThreatScoreIR } from '../../runtime/engine/policy-ir.js';
import type { Doc } from '../stages/classify.js';
import { durationMs } from './duration.js';
import { filterRuleId } from './filter.js';

/** Lowers one ThreatScore document; the cooldown defaults to the window. */
export function lowerThreatScore(doc: Doc): ThreatScoreIR {
  const spec = doc.data.spec as ThreatScoreSpec;
  const windowMs = durationMs(spec.window);
  const scores = spec.scores.map((e): ScoreEntryIR => ({
    ...(e.rule !== undefined ? { rule: e.rule } : {}),
    ...(e.filter !== undefined ? { filter: filterRuleId(e.filter) } : {}),
    ...(e.tag !== undefined ? { tag: e.tag } : {}),
    ...(e.level !== undefined ? { level: e.level } : {}),
    score: e.score,
  }));
  return {
    type: 'threat-score',
    id: doc.name ?? '',
    key: spec.key,
    windowMs,
    threshold: spec.threshold,
    cooldownMs: spec.cooldown === undefined ? windowMs : durationMs(spec.cooldown),
    ...(spec.level ? { level: spec.level } : {}),
    scores,
    ...(spec.actions?.length ? { actions: [...spec.actions] } : {}),
  };
}
