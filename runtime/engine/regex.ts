import { createRequire } from 'node:module';
import type { RE2JS as RE2JSClass } from 're2js';

/**
 * Regular expressions for `|re`. Every pattern runs on re2js, a port of RE2: matching is linear
 * in the input, so no rule can backtrack catastrophically (`(a+)+$` on 100k characters stays
 * fast). Features RE2 cannot do in linear time (backreferences, lookahead, lookbehind) are
 * rejected when the rule compiles, with the engine's reason.
 */

let re2js: typeof RE2JSClass | undefined;

/**
 * re2js, loaded on the first pattern (its CommonJS build, through require): building its
 * Unicode tables costs every process about 12 ms, and most runs (a rebuild, a check, an agent
 * whose rules use no `|re`) never compile a pattern.
 */
function re2(): typeof RE2JSClass {
  return (re2js ??= (createRequire(import.meta.url)('re2js') as typeof import('re2js')).RE2JS);
}

/** A compiled pattern's test function, or the reason it was refused. */
export type RegexResult = { readonly ok: true; readonly test: (s: string) => boolean } | { readonly ok: false; readonly reason: string };

/** Compiles a Sigma regex with its `i`, `m`, `s` sub-modifier flags; never throws. */
export function compileRegex(pattern: string, flags: string): RegexResult {
  const RE2JS = re2();
  let bits = 0;
  if (flags.includes('i')) bits |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) bits |= RE2JS.MULTILINE;
  if (flags.includes('s')) bits |= RE2JS.DOTALL;
  try {
    const re = RE2JS.compile(pattern, bits);
    return { ok: true, test: (s: string) => re.test(s) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: message.replace(/^error parsing regexp: /, '') };
  }
}
