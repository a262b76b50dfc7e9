import { distance } from 'fastest-levenshtein';

/**
 * Did-you-mean: the candidates closest to `input` by edit distance, at most `max` of them.
 * A candidate qualifies when it is within about a third of the input's length (graphql-js's
 * threshold), or differs only in letter case.
 */
export function suggest(input: string, candidates: Iterable<string>, max = 3): string[] {
  const lower = input.toLowerCase();
  const threshold = Math.floor(input.length * 0.4) + 1;
  const scored: { name: string; d: number }[] = [];
  const seen = new Set<string>();
  for (const name of candidates) {
    if (seen.has(name) || name === input) continue;
    seen.add(name);
    const d = name.toLowerCase() === lower ? 0.5 : distance(lower, name.toLowerCase());
    if (d <= threshold) scored.push({ name, d });
  }
  scored.sort((a, b) => a.d - b.d || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return scored.slice(0, max).map((s) => s.name);
}

/** The hint text for a list of suggestions, or undefined when there are none. */
export function didYouMean(suggestions: readonly string[]): string | undefined {
  if (suggestions.length === 0) return undefined;
  const quoted = suggestions.map((s) => `\`${s}\``);
  const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
  return `did you mean ${list}?`;
}
