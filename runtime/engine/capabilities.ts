/**
 * What this build's agent implements: the IR versions it reads and the bundle features it runs.
 * A bundle that declares anything else is refused whole (docs/bundle-format.md §4), so this list
 * is the agent's side of the contract whose compiler side is compiler/features.ts.
 */
import { SUPPORTED_IR_VERSIONS, type Capabilities } from '../bundle/envelope.js';

/** Every optional bundle feature, with what using it means. Names are lower-case and dot-separated. */
export const FEATURE_DESCRIPTIONS = {
  'sigma.re': 'Sigma `|re` values (linear-time regular expressions)',
  'sigma.cidr': 'Sigma `|cidr` values (IPv4/IPv6 networks)',
  'sigma.fieldref': 'Sigma `|fieldref` values (compare two fields of one event)',
  'sigma.date': 'Sigma `|minute` .. `|year` date-part modifiers',
  'sigma.keyword': 'Sigma keyword searches (a value anywhere in the event)',
  'sigma.filter': 'Sigma filter rules (meta filters that drop matches of other rules)',
  'correlation.event-count': 'Sigma `event_count` correlations',
  'correlation.value-count': 'Sigma `value_count` correlations',
  'correlation.temporal': 'Sigma `temporal` correlations',
  'correlation.temporal-ordered': 'Sigma `temporal_ordered` correlations (and Vigil chains)',
  'correlation.value-sum': 'Sigma `value_sum` correlations',
  'correlation.value-avg': 'Sigma `value_avg` correlations',
  'correlation.value-percentile': 'Sigma `value_percentile` correlations',
  'policy.filter': 'Vigil content filters (Filter kind)',
  'threat-score': 'threat scores summed per key in a window (ThreatScore kind)',
  chain: 'ordered filter chains (Chain kind)',
  'chain.not-followed-by': 'chains that fire only when no closing event follows',
  anomaly: 'first-seen anomaly detection (Anomaly kind)',
  'anomaly.collector-suppression': 'anomalies suppressed on the collector when seen on another host',
  'audit-check': 'audit and attack-surface checks against host facts (AuditCheck kind)',
  dashboard: 'security dashboards made of check tiles (Dashboard kind)',
  'service.http-receiver': 'the HTTP receiver for firewall logs',
  'service.sync': 'sync to a collector',
  'service.log-signing': 'signed, timestamped log files',
  'service.network-capture': 'the network-capture ring buffer',
  'service.sysmon': 'Sysmon management',
  'action.alert': 'alert output actions',
  'action.email': 'email actions',
  'action.http': 'HTTP actions',
  'action.file': 'file actions',
  'action.process': 'process actions',
  'log-source.file': 'delimited log file sources',
  'log-source.http': 'HTTP receiver log sources',
  'log-source.azure-signin': 'Azure sign-in log downloads',
  'log-source.jsonl': 'JSON Lines file sources',
  'credential.sealed': 'age-sealed credentials opened with the agent key',
  'self-test': 'self-test vectors replayed before activation',
  'rule-packs': 'Sigma rules published as content-addressed rule packs that the bundle pins by digest',
} as const;

/** One feature name. */
export type FeatureName = keyof typeof FEATURE_DESCRIPTIONS;

/** Every feature name, sorted. */
export const FEATURE_NAMES: readonly FeatureName[] = (Object.keys(FEATURE_DESCRIPTIONS) as FeatureName[]).sort();

/** What this build's agent understands; pass it to `verifyRepository({capabilities})`. */
export const AGENT_CAPABILITIES: Capabilities = { irVersions: SUPPORTED_IR_VERSIONS, features: FEATURE_NAMES };
