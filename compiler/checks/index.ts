import type { Check } from './check.js';
import { duplicateId } from './duplicate-id.js';
import { plaintextSecret } from './plaintext-secret.js';
import { ruleTestsCheck } from './rule-tests.js';
import { threatScoreReference } from './threat-score-reference.js';
import { ruleNotDeployed } from './rule-not-deployed.js';
import { unreachableThreshold } from './unreachable-threshold.js';
import { overlappingScores } from './overlapping-scores.js';
import { ruleReferenceCycle } from './rule-reference-cycle.js';
import { impossibleWindow } from './impossible-window.js';
import { scoreSelectsNothing } from './score-selects-nothing.js';

/**
 * Every whole-repository check, in the order they run (graphql-js `specifiedRules`).
 * Order only affects speed, never output: diagnostics are sorted afterwards.
 */
export const ALL_CHECKS: readonly Check[] = Object.freeze([
  duplicateId, plaintextSecret, ruleTestsCheck,
  threatScoreReference, ruleNotDeployed, unreachableThreshold, overlappingScores, ruleReferenceCycle, impossibleWindow, scoreSelectsNothing,
]);
