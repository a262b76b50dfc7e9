import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { compile } from '../../../compiler/index.js';
import { DiagnosticList } from '../../../compiler/reporter.js';
import { lowerAllPolicies, lowerPolicies } from '../../../compiler/lower/policies.js';
import { durationMs, formatDuration } from '../../../compiler/lower/duration.js';
import { createEngine, type Alert } from '../../../runtime/engine/engine.js';
import type { DetectionRule } from '../../../runtime/engine/ir.js';
import { SCHEMAS } from '../../../schema/generated/kinds.js';
import { strictAjv } from '../schema/schema-set.js';

const MSP = path.resolve(__dirname, '../../../examples/msp');

async function msp() {
  const result = await compile({ dir: MSP });
  if (!result.ok) throw new Error(result.report.diagnostics.map((d) => `${d.span.file}: ${d.code} ${d.message}`).join('\n'));
  return result.model;
}

function matches(rule: DetectionRule, events: Record<string, unknown>[]): number[] {
  const engine = createEngine([rule]);
  const hits: number[] = [];
  events.forEach((e, i) => engine.process(e, i, (a: Alert) => hits.push(a.kind === 'detection' ? a.event : -1)));
  return hits;
}

describe('lowering policies', () => {
  test('durations', () => {
    expect(durationMs('5m')).toBe(300_000);
    expect(durationMs('7d')).toBe(604_800_000);
    expect(durationMs('5x')).toBeNaN();
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(1500)).toBe('1500ms');
  });

  test('the MSP repository lowers to plain sorted data, the same for the whole repository and a group', async () => {
    const model = await msp();
    const all = lowerAllPolicies(model, new DiagnosticList());
    expect(all.filters.map((f) => f.id)).toEqual(['filter:failed-logons', 'filter:sysmon-process-creation']);
    expect(all.threatScores.map((s) => s.id)).toEqual(['password-spray', 'recon-tools']);
    const recon = all.threatScores.find((s) => s.id === 'recon-tools')!;
    expect(recon).toMatchObject({ key: 'host', windowMs: 300_000, threshold: 100, cooldownMs: 900_000, level: 'high' });
    expect(all.threatScores.find((s) => s.id === 'password-spray')!.scores).toEqual([{ filter: 'filter:failed-logons', score: 5 }]);
    expect(all.chains).toMatchObject([{ type: 'correlation', correlation: 'temporal_ordered', id: 'domain-admin-recon', groupBy: ['host'], timespanMs: 600_000 }]);
    expect(all.chains[0]!.rules).toHaveLength(3);
    expect(all.anomalies).toEqual([
      { type: 'anomaly', id: 'new-parent-child', relationship: 'parent-child', key: ['host', 'ParentImage', 'Image'], filter: 'filter:sysmon-process-creation', learningMs: 604_800_000, suppressOnCollector: true, level: 'medium', actions: ['default-alert'] },
    ]);
    // Plain JSON: survives a round trip unchanged, and is what schema/policy-ir.schema.json describes.
    expect(JSON.parse(JSON.stringify(all))).toEqual(all);
    const validate = strictAjv(Object.values(SCHEMAS)).getSchema('https://vigil.dev/schema/v1/policy-ir.schema.json')!;
    expect(validate(all) ? [] : validate.errors).toEqual([]);
    const group = model.groups.get('contoso-workstations')!;
    expect(lowerPolicies(model, group, new DiagnosticList())).toEqual(all);
    const collectors = model.groups.get('msp-collectors')!;
    expect(lowerPolicies(model, collectors, new DiagnosticList()).threatScores).toEqual([]);
  });

  test('a Filter lowers to detection IR with channel, event id, provider, level, user and text conditions', async () => {
    const model = await msp();
    const failed = lowerAllPolicies(model, new DiagnosticList()).filters.find((f) => f.id === 'filter:failed-logons')!;
    expect(failed.variants[0]).toMatchObject({ channels: ['security'], eventIds: [4625, 4771] });
    const ev = (more: Record<string, unknown>) => ({ Channel: 'Security', EventID: 4625, SourceName: 'Microsoft-Windows-Security-Auditing', TargetUserName: 'bob', ...more });
    expect(matches(failed, [ev({}), ev({ EventID: 4624 }), ev({ TargetUserName: 'SVC-BACKUP' }), ev({ Channel: 'System' }), ev({ SourceName: 'Other' })])).toEqual([0]);
  });

  test('users, levels, include and case sensitivity', async () => {
    const { lowerFilter } = await import('../../../compiler/lower/filter.js');
    const doc = (spec: Record<string, unknown>) => ({ name: 'f', data: { metadata: { name: 'f' }, spec }, source: { path: 'filters/f.yaml' } }) as never;
    const users = lowerFilter(doc({ users: ['CONTOSO\\admin', 'svc'] }));
    expect(matches(users, [{ User: 'contoso\\ADMIN' }, { TargetDomainName: 'CONTOSO', TargetUserName: 'admin' }, { User: 'FAB\\svc' }, { SubjectUserName: 'svc' }, { User: 'FAB\\admin' }, { User: 'svc2' }])).toEqual([0, 1, 2, 3]);
    const levels = lowerFilter(doc({ levels: ['warning', 'information'] }));
    expect(matches(levels, [{ Level: '3' }, { Level: 4 }, { Level: '0' }, { Level: '2' }])).toEqual([0, 1, 2]);
    const text = lowerFilter(doc({ include: ['Mimikatz'], exclude: ['test'], caseSensitive: true }));
    expect(matches(text, [{ CommandLine: 'run Mimikatz' }, { CommandLine: 'run mimikatz' }, { CommandLine: 'Mimikatz test' }])).toEqual([0]);
  });
});
