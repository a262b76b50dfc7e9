import type { Check } from './check.js';
import { duplicateId } from './duplicate-id.js';
import { plaintextSecret } from './plaintext-secret.js';
import { ruleTestsCheck } from './rule-tests.js';

/**
 * Every whole-repository check, in the order they run (graphql-js `specifiedRules`).
 * Order only affects speed, never output: diagnostics are sorted afterwards.
 */
export const ALL_CHECKS: readonly Check[] = Object.freeze([duplicateId, plaintextSecret, ruleTestsCheck]);
