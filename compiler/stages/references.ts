import type { KindName } from '../../schema/generated/kinds.js';
import type { NodePath } from './yaml-nodes.js';

/** Where a kind refers to a name of another kind; `*` stands for every list item. */
export interface ReferenceField {
  readonly from: KindName;
  readonly path: readonly string[];
  /** The kind named, or `rule` for a Sigma rule id. */
  readonly to: KindName | 'rule';
}

const r = (from: KindName, dotted: string, to: KindName | 'rule'): ReferenceField => ({ from, path: dotted.split('.'), to });

/** Every name reference between kinds, from the schemas in schema/ (one line per field). */
export const REFERENCE_FIELDS: readonly ReferenceField[] = [
  r('Action', 'spec.email.credential', 'Credential'),
  r('Action', 'spec.http.credential', 'Credential'),
  r('Anomaly', 'spec.filter', 'Filter'),
  r('Anomaly', 'spec.actions.*', 'Action'),
  r('Chain', 'spec.steps.*.rule', 'rule'),
  r('Chain', 'spec.steps.*.filter', 'Filter'),
  r('Chain', 'spec.notFollowedBy.rule', 'rule'),
  r('Chain', 'spec.notFollowedBy.filter', 'Filter'),
  r('Chain', 'spec.actions.*', 'Action'),
  r('Credential', 'spec.hostGroups.*', 'HostGroup'),
  r('Dashboard', 'spec.tiles.*.checks.*', 'AuditCheck'),
  r('HostGroup', 'spec.hosts.*', 'Host'),
  r('HostGroup', 'spec.packages.*', 'Package'),
  r('HostGroup', 'spec.services.*', 'Service'),
  r('HostGroup', 'spec.logSources.*', 'LogSource'),
  r('HostGroup', 'spec.rollout', 'Rollout'),
  r('LogSource', 'spec.format', 'LogFormat'),
  r('LogSource', 'spec.credentials.*.credential', 'Credential'),
  r('Package', 'spec.rules.exclude.ids.*', 'rule'),
  r('Package', 'spec.filters.*', 'Filter'),
  r('Package', 'spec.threatScores.*', 'ThreatScore'),
  r('Package', 'spec.chains.*', 'Chain'),
  r('Package', 'spec.anomalies.*', 'Anomaly'),
  r('Package', 'spec.auditChecks.*', 'AuditCheck'),
  r('Package', 'spec.dashboards.*', 'Dashboard'),
  r('Package', 'spec.actions.*', 'Action'),
  r('Package', 'spec.hostGroups.*', 'HostGroup'),
  r('Package', 'spec.tests.*.rule', 'rule'),
  r('Rollout', 'spec.hostGroups.*', 'HostGroup'),
  r('Rollout', 'spec.rings.*.hosts.*', 'Host'),
  r('Service', 'spec.httpReceiver.tokens.*', 'Credential'),
  r('Service', 'spec.httpReceiver.sources.*', 'LogSource'),
  r('Service', 'spec.sync.credential', 'Credential'),
  r('ThreatScore', 'spec.scores.*.rule', 'rule'),
  r('ThreatScore', 'spec.scores.*.filter', 'Filter'),
  r('ThreatScore', 'spec.actions.*', 'Action'),
];

/** Every string found at a field path in plain data, with the concrete path to it. */
export function valuesAt(data: unknown, path: readonly string[]): { value: string; path: NodePath }[] {
  const out: { value: string; path: NodePath }[] = [];
  const walk = (value: unknown, i: number, at: (string | number)[]): void => {
    if (i === path.length) {
      if (typeof value === 'string') out.push({ value, path: at });
      return;
    }
    const seg = path[i]!;
    if (seg === '*') {
      if (Array.isArray(value)) value.forEach((v, k) => walk(v, i + 1, [...at, k]));
      return;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, seg)) {
      walk((value as Record<string, unknown>)[seg], i + 1, [...at, seg]);
    }
  };
  walk(data, 0, []);
  return out;
}

/** The string list at a field path (non-strings ignored; validation already reported them). */
export function stringsAt(data: unknown, dotted: string): string[] {
  return valuesAt(data, dotted.split('.')).map((v) => v.value);
}
