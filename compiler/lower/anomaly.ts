import type { AnomalySpec } from '../../schema/generated/anomaly.js';
import type { AnomalyIR } from '../../runtime/engine/policy-ir.js';
import type { Doc } from '../stages/classify.js';
import { durationMs } from './duration.js';
import { filterRuleId } from './filter.js';

type Relationship = NonNullable<AnomalySpec['relationship']>;

/**
 * The built-in relationships: the Sysmon fields that form each pair and the events they come
 * from (1 process creation, 7 image loaded, 17/18 pipe created/connected). `host` comes first
 * so an agent's baseline is its own host's; the collector drops it for the global baseline.
 */
export const RELATIONSHIPS: Readonly<Record<Relationship, { readonly key: readonly string[]; readonly eventIds: readonly number[] }>> = {
  'parent-child': { key: ['host', 'ParentImage', 'Image'], eventIds: [1] },
  'user-process': { key: ['host', 'User', 'Image'], eventIds: [1] },
  'process-dll': { key: ['host', 'Image', 'ImageLoaded'], eventIds: [7] },
  'user-pipe': { key: ['host', 'User', 'PipeName'], eventIds: [17, 18] },
};

/** Lowers one Anomaly document. */
export function lowerAnomaly(doc: Doc): AnomalyIR {
  const spec = doc.data.spec as AnomalySpec;
  const rel = spec.type === 'relationship' && spec.relationship ? RELATIONSHIPS[spec.relationship] : undefined;
  return {
    type: 'anomaly',
    id: doc.name ?? '',
    relationship: rel && spec.relationship ? spec.relationship : 'first-seen',
    key: rel ? [...rel.key] : [...(spec.key ?? [])],
    ...(spec.filter !== undefined ? { filter: filterRuleId(spec.filter) } : rel ? { eventIds: [...rel.eventIds] } : {}),
    learningMs: durationMs(spec.learningPeriod),
    suppressOnCollector: spec.suppressOnCollector === true,
    ...(spec.level ? { level: spec.level } : {}),
    ...(spec.actions?.length ? { actions: [...spec.actions] } : {}),
  };
}
