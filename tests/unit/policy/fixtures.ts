import type { DetectionRule } from '../../../runtime/engine/ir.js';
import type { ChainRule, ThreatScoreIR } from '../../../runtime/engine/policy-ir.js';
import type { PolicySet } from '../../../runtime/engine/policy-engine.js';

/** A detection rule matching process creations of one tool (by image name). */
export function toolRule(tool: string, extra: Partial<DetectionRule> = {}): DetectionRule {
  return {
    type: 'detection',
    id: `rule-${tool}`,
    name: tool,
    title: `${tool} ran`,
    level: 'low',
    tags: ['attack.discovery'],
    logsource: { category: 'process_creation', product: 'windows' },
    attribution: {},
    variants: [{ eventIds: [1], condition: { op: 'field', field: 'Image', tests: [{ t: 'str', m: 'endswith', v: `\\${tool}.exe` }] } }],
    ...extra,
  };
}

export const BASE = Date.UTC(2026, 10, 24, 9, 0, 0);

/** A Sysmon process-creation event of `tool` on `host` at `ms` after BASE. */
export function proc(tool: string, host: string, ms: number, more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@timestamp': new Date(BASE + ms).toISOString(),
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    EventID: 1,
    Hostname: host,
    Image: `C:\\Windows\\System32\\${tool}.exe`,
    ParentImage: 'C:\\Windows\\System32\\cmd.exe',
    User: 'CONTOSO\\jdevries',
    ...more,
  };
}

export const TOOLS = ['whoami', 'ipconfig', 'systeminfo', 'wmic', 'nltest'];
export const RULES = TOOLS.map((t) => toolRule(t));

/** The recon threat score of the MSP example: 20 + 10 + 25 + 45 = 100 within 5 minutes. */
export function reconScore(overrides: Partial<ThreatScoreIR> = {}): ThreatScoreIR {
  return {
    type: 'threat-score',
    id: 'recon-tools',
    key: 'host',
    windowMs: 5 * 60_000,
    threshold: 100,
    cooldownMs: 15 * 60_000,
    level: 'high',
    scores: [
      { rule: 'rule-whoami', score: 20 },
      { rule: 'rule-ipconfig', score: 10 },
      { rule: 'rule-systeminfo', score: 25 },
      { rule: 'rule-wmic', score: 45 },
    ],
    ...overrides,
  };
}

/** whoami → wmic → nltest on one host within 10 minutes. */
export function reconChain(overrides: Partial<ChainRule> = {}): ChainRule {
  return {
    type: 'correlation',
    id: 'recon-chain',
    name: 'recon-chain',
    title: 'recon chain',
    attribution: {},
    correlation: 'temporal_ordered',
    rules: ['rule-whoami', 'rule-wmic', 'rule-nltest'],
    groupBy: ['host'],
    timespanMs: 10 * 60_000,
    generate: true,
    steps: [{ refs: ['rule-whoami'] }, { refs: ['rule-wmic'] }, { refs: ['rule-nltest'] }],
    ...overrides,
  };
}

/** A policy set with only the given parts. */
export function policies(p: Partial<PolicySet>): PolicySet {
  return { filters: [], threatScores: [], chains: [], anomalies: [], ...p };
}
