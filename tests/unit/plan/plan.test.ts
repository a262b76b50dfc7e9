import { describe, expect, it } from 'vitest';
import { planOf } from '../../../targets/plan/plan.js';
import { endsWith, entry, group, rule } from './fixture.js';

const opts = { base: 'main', head: 'topic' };

describe('planOf', () => {
  it('reports nothing for identical sides', () => {
    const g = group('ws', { rules: [entry(rule('r1', endsWith('\\whoami.exe')))] });
    const plan = planOf([g], [g], opts);
    expect(plan.groups).toEqual([]);
    expect(plan.unchangedGroups).toEqual(['ws']);
    expect(plan.changes).toEqual([]);
    expect(plan.risks).toEqual([]);
  });

  it('diffs detection logic as normalized lines, not YAML', () => {
    const before = group('ws', { rules: [entry(rule('r1', endsWith('\\whoami.exe')))] });
    const after = group('ws', { rules: [entry(rule('r1', endsWith('\\whoami2.exe'), { level: 'high' }))] });
    const plan = planOf([before], [after], opts);
    const c = plan.changes[0]!;
    expect(c).toMatchObject({ section: 'rules', name: 'r1', status: 'modified', hosts: 2 });
    expect(c.fields).toEqual([{ path: 'level', before: 'low', after: 'high' }]);
    expect(c.logic!.filter((l) => l.op !== ' ')).toEqual([
      { op: '-', text: "  Image endswith '\\whoami.exe'" },
      { op: '+', text: "  Image endswith '\\whoami2.exe'" },
    ]);
  });

  it('ignores a prefilter-only difference (derived data)', () => {
    const a = rule('r1', endsWith('x'));
    const b = { ...a, variants: [{ ...a.variants[0]!, prefilter: [{ field: 'Image', needle: 'x' }] }] };
    expect(planOf([group('ws', { rules: [entry(a)] })], [group('ws', { rules: [entry(b)] })], opts).changes).toEqual([]);
  });

  it('tells a rule moved between groups from a rule deleted', () => {
    const r = rule('r1', endsWith('x'));
    const plan = planOf([group('a', { rules: [entry(r)] }), group('b')], [group('a'), group('b', { rules: [entry(r)] })], opts);
    expect(plan.changes.map((c) => [c.name, c.status])).toEqual([['r1', 'moved']]);
    expect(plan.changes[0]!.groups).toEqual([{ group: 'a', change: 'removed' }, { group: 'b', change: 'added' }]);
    expect(plan.risks.map((r) => [r.kind, r.groups])).toEqual([['detection-removed', ['a']]]);
  });

  it('counts hosts per ring for each change', () => {
    const r = rule('r1', endsWith('x'));
    const base = [group('a', { rings: [{ name: 'canary', hosts: 1 }, { name: 'broad', hosts: 1 }] }), group('b', { hosts: ['h3'], rings: [{ name: 'canary', hosts: 0 }, { name: 'broad', hosts: 1 }] })];
    const head = base.map((g) => ({ ...g, rules: [entry(r)] }));
    const c = planOf(base, head, opts).changes[0]!;
    expect(c.hosts).toBe(3);
    expect(c.rings).toEqual([{ name: 'canary', hosts: 1 }, { name: 'broad', hosts: 2 }]);
  });

  it('shows settings as field changes and credentials by name and type only', () => {
    const before = group('ws', { threatScores: [{ name: 'recon', spec: { threshold: 100, window: '5m' } }], credentials: [{ name: 'old-token', type: 'hec-token' }] });
    const after = group('ws', { threatScores: [{ name: 'recon', spec: { threshold: 100, window: '10m' } }], credentials: [{ name: 'new-token', type: 'hec-token' }] });
    const plan = planOf([before], [after], opts);
    expect(plan.changes.map((c) => [c.section, c.name, c.status])).toEqual([
      ['threatScores', 'recon', 'modified'],
      ['credentials', 'new-token', 'new'],
      ['credentials', 'old-token', 'deleted'],
    ]);
    expect(plan.changes[0]!.fields).toEqual([{ path: 'window', before: '5m', after: '10m' }]);
  });

  it('reports added and removed groups and hosts', () => {
    const plan = planOf([group('old'), group('ws')], [group('new'), group('ws', { hosts: ['h1', 'h9'] })], opts);
    expect(plan.groups.map((g) => [g.group, g.status])).toEqual([['new', 'added'], ['old', 'removed'], ['ws', 'changed']]);
    expect(plan.groups[2]).toMatchObject({ hostsAdded: ['h9'], hostsRemoved: ['h2'] });
  });
});
