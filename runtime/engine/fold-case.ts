/**
 * The one case fold of case-insensitive matching, for needles (at compile time) and event values
 * alike. `String#toLowerCase` lowercases Σ by context: ς at the end of a word, σ elsewhere, so
 * `ΑΣ` lowercased alone (`ας`) is not found in `ΑΣΤΥ` lowercased (`αστυ`). Final sigma is folded
 * to σ after lowercasing, so the fold no longer depends on where a letter stands.
 */
export function foldCase(text: string): string {
  const low = text.toLowerCase();
  return low.indexOf('ς') < 0 ? low : low.replaceAll('ς', 'σ');
}
