import { describe, expect, test } from 'vitest';
import { compileRegex } from '../../../runtime/engine/regex.js';
import { compileText, rule } from '../sigma/compile-helper.js';
import { createEngine } from '../../../runtime/engine/engine.js';

describe('regular expressions cannot backtrack catastrophically', () => {
  const input = 'a'.repeat(100_000) + '!';
  test.each(['(a+)+$', '(a|aa)+$', '(.*a){20}', '(a*)*b', '^(([a-z])+.)+[A-Z]([a-z])+$'])('%s on 100k characters finishes fast', (pattern) => {
    const re = compileRegex(pattern, '');
    expect(re.ok).toBe(true);
    if (!re.ok) return;
    const start = performance.now();
    re.test(input);
    expect(performance.now() - start).toBeLessThan(2000);
  });
  test('a catastrophic pattern in a rule runs through the whole engine fast', () => {
    const { rules } = compileText(rule("  sel:\n    CommandLine|re: '(a|aa)+$'\n  condition: sel"));
    const engine = createEngine(rules);
    let hits = 0;
    const start = performance.now();
    for (let i = 0; i < 5; i++) engine.process({ CommandLine: input }, i, () => hits++);
    expect(performance.now() - start).toBeLessThan(5000);
    expect(hits).toBe(0);
  });
  test('backreferences and lookaround are refused, not run', () => {
    expect(compileRegex('(a)\\1', '').ok).toBe(false);
    expect(compileRegex('a(?!b)', '').ok).toBe(false);
  });
});
