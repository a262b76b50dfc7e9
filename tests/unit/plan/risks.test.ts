import { describe, expect, it } from 'vitest';
import { planOf } from '../../../targets/plan/plan.js';
import { constant } from '../../../targets/plan/risks.js';
import { endsWith, entry, group, rule } from './fixture.js';

const opts = { base: 'main', head: 'topic' };
const kinds = (plan: ReturnType<typeof planOf>) => plan.risks.map((r) => `${r.kind}:${r.name}`);

describe('risk flags', () => {
  it('flags a rule matching most of the baseline sample as noisy, not a selective one', () => {
    const events = [{ Image: 'C:\\a.exe' }, { Image: 'C:\\b.exe' }, { Image: 'C:\\whoami.exe' }];
    const head = group('ws', { rules: [entry(rule('broad', endsWith('.exe'))), entry(rule('narrow', endsWith('\\whoami.exe')))] });
    const plan = planOf([group('ws')], [head], { ...opts, baseline: { label: 'sample.jsonl', events } });
    expect(kinds(plan)).toEqual(['noisy:broad']);
    expect(plan.risks[0]!.message).toContain('3 of 3');
  });

  it('flags always-true and never-true conditions', () => {
    const head = group('ws', {
      rules: [
        entry(rule('always', { op: 'or', args: [endsWith('x'), { op: 'const', value: true }] })),
        entry(rule('never', { op: 'and', args: [endsWith('x'), { op: 'field', field: 'A', tests: [{ t: 'never' }] }] })),
        entry(rule('fine', endsWith('x'))),
      ],
    });
    expect(kinds(planOf([group('ws')], [head], opts))).toEqual(['never-true:never', 'always-true:always']);
  });

  it('flags removed and deprecated detections', () => {
    const r = rule('r1', endsWith('x'));
    expect(kinds(planOf([group('ws', { rules: [entry(r)] })], [group('ws')], opts))).toEqual(['detection-removed:r1']);
    const deprecated = { ...r, status: 'deprecated' };
    expect(kinds(planOf([group('ws', { rules: [entry(r)] })], [group('ws', { rules: [entry(deprecated)] })], opts))).toEqual(['detection-disabled:r1']);
  });

  it('flags a threshold lowered sharply, not a small change', () => {
    const score = (threshold: number) => group('ws', { threatScores: [{ name: 'recon', spec: { threshold } }] });
    expect(kinds(planOf([score(100)], [score(40)], opts))).toEqual(['threshold-lowered:recon']);
    expect(kinds(planOf([score(100)], [score(80)], opts))).toEqual([]);
  });

  it('flags new rules without tests', () => {
    expect(kinds(planOf([group('ws')], [group('ws', { rules: [entry(rule('r1', endsWith('x')), false)] })], opts))).toEqual(['untested:r1']);
    expect(kinds(planOf([group('ws')], [group('ws', { rules: [entry(rule('r1', endsWith('x')), true)] })], opts))).toEqual([]);
  });

  it('folds constants', () => {
    expect(constant({ op: 'not', arg: { op: 'const', value: false } })).toBe(true);
    expect(constant({ op: 'and', args: [endsWith('x'), { op: 'const', value: true }] })).toBeUndefined();
    expect(constant({ op: 'keyword', tests: [{ t: 'never' }] })).toBe(false);
  });
});
