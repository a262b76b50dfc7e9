import type { CodeInfo } from './code-info.js';

/** Diagnostics of the policy checks (VG41xx): threat scores, chains and anomalies. */
export const POLICY_CODES = {
  VG4101: {
    slug: 'threat-score-reference',
    severity: 'error',
    title: 'A threat score or chain refers to a Sigma filter, which never matches events on its own',
    message: '`{id}` is a Sigma filter, which never matches events on its own',
    hint: 'name the detection rule the filter applies to, or a Vigil Filter with `filter:`',
  },
  VG4102: {
    slug: 'rule-not-deployed',
    severity: 'warning',
    title: 'A host group gets a threat score or chain but not a rule it refers to',
    message: 'host group `{group}` gets {kind} `{name}` but not Sigma rule `{id}`',
    hint: 'add the rule to a package of the group, or the {kind} can never see its matches there',
  },
  VG4103: {
    slug: 'unreachable-threshold',
    severity: 'warning',
    title: 'A threat score\'s threshold is more than the sum of all its scores',
    message: 'threshold {threshold} is more than the sum of all scores ({sum})',
    hint: 'only repeats of the same rules can reach it; lower the threshold or raise the scores',
  },
  VG4104: {
    slug: 'overlapping-scores',
    severity: 'warning',
    title: 'Two score entries select the same events',
    message: '{what}',
    hint: 'an event takes only the highest score of one threat score; merge the entries or give them different selectors',
  },
  VG4105: {
    slug: 'rule-reference-cycle',
    severity: 'error',
    title: 'Correlations or chains refer to each other in a cycle',
    message: '{kind} `{name}` refers to itself: {path}',
    hint: 'a correlation can only build on rules that fire without it; break the cycle',
  },
  VG4106: {
    slug: 'impossible-window',
    severity: 'error',
    title: 'A chain\'s window is shorter than its steps can happen in',
    message: '{detail}',
    hint: 'make the window long enough for every step to happen in order',
  },
  VG4107: {
    slug: 'score-selects-nothing',
    severity: 'warning',
    title: 'A score entry\'s tag or level selects no Sigma rule in the repository',
    message: '{selector} `{value}` selects no Sigma rule',
    hint: 'check the spelling; Sigma tags are lowercase like `attack.discovery`',
  },
} as const satisfies Record<string, CodeInfo>;
