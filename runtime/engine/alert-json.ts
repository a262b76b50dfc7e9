import type { Attribution } from './ir.js';
import type { PolicyAlert } from './policy-engine.js';

/**
 * The JSON Lines form of every alert kind, shared by `vigil eval` over a policy repository and
 * the agent's stdout. Detection and correlation lines are the `vigil eval` contract; threat
 * scores, chains and anomalies add `kind`, the policy name as `rule`, `key` and `events`.
 * docs/threat-scoring.md documents the format.
 */

function iso(t: number): string | null {
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

function attribution(a: Attribution): Attribution | undefined {
  return a.author || a.license || a.references ? a : undefined;
}

/** The plain object printed for an alert (key order is part of the output). */
export function alertObject(alert: PolicyAlert): Record<string, unknown> {
  switch (alert.kind) {
    case 'detection': {
      const r = alert.rule;
      const attr = attribution(r.attribution);
      return { type: 'detection', rule: r.id, title: r.title, ...(r.level ? { level: r.level } : {}), event: alert.event, ...(r.tags ? { tags: r.tags } : {}), ...(attr ? { attribution: attr } : {}) };
    }
    case 'correlation': {
      const c = alert.rule;
      const attr = attribution(c.attribution);
      return {
        type: 'correlation', rule: c.id, title: c.title, ...(c.level ? { level: c.level } : {}),
        correlation: c.correlation, group: alert.group, events: alert.events, value: alert.value,
        start: iso(alert.start), end: iso(alert.end), ...(attr ? { attribution: attr } : {}),
      };
    }
    case 'threat-score': {
      const p = alert.policy;
      return {
        type: 'threat-score', kind: 'threat-score', rule: p.id, ...(p.level ? { level: p.level } : {}),
        key: alert.key, score: alert.score, threshold: p.threshold,
        events: alert.contributions.map((c) => c.event),
        contributions: alert.contributions.map((c) => ({ event: c.event, by: c.by, score: c.score })),
        start: iso(alert.start), end: iso(alert.end),
      };
    }
    case 'chain': {
      const c = alert.policy;
      return {
        type: 'chain', kind: 'chain', rule: c.id, ...(c.level ? { level: c.level } : {}),
        key: alert.key, events: alert.events, start: iso(alert.start), end: iso(alert.end),
      };
    }
    case 'anomaly': {
      const p = alert.policy;
      return {
        type: 'anomaly', kind: 'anomaly', rule: p.id, ...(p.level ? { level: p.level } : {}),
        relationship: p.relationship, key: alert.key, event: alert.event, events: [alert.event], time: iso(alert.time),
      };
    }
  }
}

/** One alert as a JSON line (without the newline). */
export function alertLine(alert: PolicyAlert): string {
  return JSON.stringify(alertObject(alert));
}
