import { describe, expect, it } from 'vitest';
import { compareVersions, FEATURE_SINCE, tooNew } from '../../../../compiler/features.js';
import { featuresUsed } from '../../../../compiler/lower/features-used.js';
import { AGENT_CAPABILITIES, FEATURE_NAMES } from '../../../../runtime/engine/capabilities.js';
import type { Rule } from '../../../../runtime/engine/ir.js';

const empty = { rules: [], policies: { filters: [], threatScores: [], chains: [], anomalies: [] }, auditChecks: [], dashboards: [], services: [], actions: [], logSources: [], sealedCredentials: false, selfTests: 0 };

const detection = (tests: unknown[], op: 'field' | 'keyword' = 'field'): Rule => ({
  type: 'detection', id: 'r1', title: 't', logsource: {}, attribution: {},
  variants: [{ condition: { op: 'and', args: [{ op: 'not', arg: op === 'field' ? { op: 'field', field: 'F', tests } : { op: 'keyword', tests } } as never] } }],
} as unknown as Rule);

describe('compareVersions', () => {
  it('orders releases numerically and pre-releases before their release', () => {
    expect(compareVersions('0.1.0', '0.1.0')).toBe(0);
    expect(compareVersions('0.10.0', '0.9.9')).toBe(1);
    expect(compareVersions('1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(compareVersions('1.0.0-rc.2', '1.0.0-rc.10')).toBe(-1);
    expect(compareVersions('1.0.0-alpha', '1.0.0-1')).toBe(1);
    expect(compareVersions('x', '1.0.0')).toBeNaN();
  });
});

describe('tooNew', () => {
  it('names every feature and the IR version an old agent cannot run, and nothing for a current one', () => {
    expect(tooNew('0.0.9', 1, ['sigma.re', 'threat-score'])).toEqual([
      { feature: 'IR version 1', needs: '0.1.0' },
      { feature: 'sigma.re', needs: '0.1.0' },
      { feature: 'threat-score', needs: '0.1.0' },
    ]);
    expect(tooNew('0.1.0', 1, ['sigma.re'])).toEqual([]);
    expect(tooNew('0.1.0-rc.1', 1, [])).toEqual([{ feature: 'IR version 1', needs: '0.1.0' }]);
  });

  it('has a version for every feature the agent implements, and the agent implements every feature', () => {
    expect(Object.keys(FEATURE_SINCE).sort()).toEqual([...FEATURE_NAMES]);
    expect(AGENT_CAPABILITIES.features).toEqual(FEATURE_NAMES);
    for (const f of FEATURE_NAMES) expect(f).toMatch(/^[a-z][a-z0-9.-]*$/);
  });
});

describe('featuresUsed', () => {
  it('derives Sigma features from the tests in nested expressions', () => {
    expect(featuresUsed({ ...empty, rules: [detection([{ t: 're', v: 'a', flags: '' }, { t: 'cidr', v: '10.0.0.0/8' }])] })).toEqual(['sigma.cidr', 'sigma.re']);
    expect(featuresUsed({ ...empty, rules: [detection([{ t: 'str', m: 'eq', v: 'x' }], 'keyword')] })).toEqual(['sigma.keyword']);
    expect(featuresUsed({ ...empty, rules: [detection([{ t: 'str', m: 'eq', v: 'x' }])] })).toEqual([]);
  });

  it('names correlations with hyphens and typed services, actions and log sources', () => {
    const corr = { type: 'correlation', id: 'c', title: 'c', attribution: {}, correlation: 'temporal_ordered', rules: ['r1'], groupBy: [], timespanMs: 1, generate: false } as unknown as Rule;
    const got = featuresUsed({
      ...empty, rules: [corr],
      services: [{ name: 's', spec: { type: 'log-signing' } }], actions: [{ name: 'a', spec: { type: 'email' } }], logSources: [{ name: 'l', spec: { type: 'azure-signin' } }],
      sealedCredentials: true, selfTests: 2,
    });
    expect(got).toEqual(['action.email', 'correlation.temporal-ordered', 'credential.sealed', 'log-source.azure-signin', 'self-test', 'service.log-signing']);
    for (const f of got) expect(FEATURE_NAMES).toContain(f);
  });

  it('is empty for empty content', () => {
    expect(featuresUsed(empty)).toEqual([]);
  });
});
