/**
 * The keyword prefilter's scan: every scalar of an event searched for the ASCII literals of
 * the keyword variants in one bucket, ignoring case. A per-character automaton in JavaScript
 * is slower than the engine's native case-insensitive regex it would replace, so this is a
 * Wu-Manber search: it reads a two-character block at the end of a window as long as the
 * shortest literal and, when the block occurs in no literal near that end, skips ahead by
 * up to that length. Only windows ending in a block some literal has are checked in full.
 */

/** Blocks are two ASCII characters, folded to lowercase. */
const ALPHABET = 128;

let lowerTable: Uint16Array | undefined;

/**
 * Each UTF-16 code unit → the first code unit of its lowercase form. U+0130 `İ` lowercases to
 * `i` + U+0307 and U+212A (Kelvin sign) to `k`, so both count as those ASCII letters: an ASCII
 * literal found in `text.toLowerCase()` is found in the folded text too.
 */
function lowerUnits(): Uint16Array {
  if (!lowerTable) {
    lowerTable = new Uint16Array(65536);
    for (let c = 0; c < 65536; c++) lowerTable[c] = c >= 0xd800 && c <= 0xdfff ? c : String.fromCharCode(c).toLowerCase().charCodeAt(0);
  }
  return lowerTable;
}

/** Characters of a number's string form (`1e+21`, `-0.5`, `NaN`, `Infinity`), lowercased. */
const NUMERIC = /^[0-9.+\-einfitya]*$/;

/** Finds which of a set of lowercase ASCII literals occur in an event's values, case-insensitively. */
export class KeywordScanner {
  private readonly fold = lowerUnits();
  /** Window length: the shortest literal. */
  private readonly window: number;
  /** Block length: 2, or 1 when a literal has a single character. */
  private readonly block: number;
  /**
   * Block of raw ASCII code units (`a << 7 | b`; both cases entered) → how far the window may
   * move; 0 means check the candidates. Indexing raw units spares folding on the common step.
   */
  private readonly shift: Uint8Array;
  /** Candidate literals per lowercase block, as ranges of `cands`. */
  private readonly candFrom: Int32Array;
  private readonly cands: Int32Array;
  private readonly numbers: boolean;

  /** `needles[i]` (non-empty lowercase ASCII, at most 255 characters) enables the variant ids `targets[i]`. */
  constructor(
    private readonly needles: readonly string[],
    private readonly targets: readonly (readonly number[])[],
  ) {
    const window = Math.min(...needles.map((n) => n.length));
    const block = window >= 2 ? 2 : 1;
    const size = block === 2 ? ALPHABET * ALPHABET : ALPHABET;
    const low = new Uint8Array(size).fill(window - block + 1);
    const lists: number[][] = Array.from({ length: size }, () => []);
    needles.forEach((needle, idx) => {
      // Blocks ending at each position q of the window-length prefix shift by window - q.
      for (let q = block; q <= window; q++) {
        const b = block === 2 ? (needle.charCodeAt(q - 2) << 7) | needle.charCodeAt(q - 1) : needle.charCodeAt(q - 1);
        low[b] = Math.min(low[b]!, window - q);
        if (q === window) lists[b]!.push(idx);
      }
    });
    const fold = this.fold;
    const shift = new Uint8Array(size);
    for (let b = 0; b < size; b++) shift[b] = low[block === 2 ? (fold[b >> 7]! << 7) | fold[b & 127]! : fold[b]!]!;
    const candFrom = new Int32Array(size + 1);
    for (let b = 0; b < size; b++) candFrom[b + 1] = candFrom[b]! + lists[b]!.length;
    this.window = window;
    this.block = block;
    this.shift = shift;
    this.candFrom = candFrom;
    this.cands = Int32Array.from(lists.flat());
    this.numbers = needles.some((n) => NUMERIC.test(n));
  }

  /**
   * Stamps `epoch` into `hits` for every variant whose literal occurs in a scalar of `value`:
   * strings, numbers and booleans in their string form, walked as the keyword matchers walk
   * (arrays by element, objects by key, objects nested deeper than 32 levels not entered).
   */
  scan(value: unknown, hits: Int32Array, epoch: number, depth = 0): void {
    if (typeof value === 'string') this.scanText(value, hits, epoch);
    else if (typeof value === 'number' || typeof value === 'bigint') {
      // Stringifying allocates, so numbers are read only when some literal could occur in one.
      if (this.numbers) this.scanText(String(value), hits, epoch);
    } else if (typeof value === 'boolean') this.scanText(value ? 'true' : 'false', hits, epoch);
    else if (depth <= 32 && typeof value === 'object' && value !== null) {
      if (Array.isArray(value)) for (let i = 0; i < value.length; i++) this.scan(value[i], hits, epoch, depth + 1);
      else for (const k in value) this.scan((value as Record<string, unknown>)[k], hits, epoch, depth + 1);
    }
  }

  /** Wu-Manber over one string; a character whose folded form is not ASCII is in no literal. */
  private scanText(text: string, hits: Int32Array, epoch: number): void {
    const { fold, window, shift } = this;
    const n = text.length;
    const far = window - this.block + 1;
    const pair = this.block === 2;
    let i = window - 1;
    while (i < n) {
      let c = text.charCodeAt(i);
      if (c >= ALPHABET && (c = fold[c]!) >= ALPHABET) {
        i += far;
        continue;
      }
      let b = c;
      if (pair) {
        let p = text.charCodeAt(i - 1);
        if (p >= ALPHABET && (p = fold[p]!) >= ALPHABET) {
          i += far;
          continue;
        }
        b = (p << 7) | c;
      }
      const s = shift[b]!;
      if (s > 0) i += s;
      else this.check(text, i++, pair ? (fold[b >> 7]! << 7) | fold[b & 127]! : fold[b]!, hits, epoch);
    }
  }

  /** Checks the literals whose window ends in lowercase block `b` against the window ending at `end`. */
  private check(text: string, end: number, b: number, hits: Int32Array, epoch: number): void {
    const start = end - this.window + 1;
    for (let k = this.candFrom[b]!; k < this.candFrom[b + 1]!; k++) {
      const idx = this.cands[k]!;
      if (this.occursAt(text, start, this.needles[idx]!)) {
        const list = this.targets[idx]!;
        for (let j = 0; j < list.length; j++) hits[list[j]!] = epoch;
      }
    }
  }

  private occursAt(text: string, start: number, needle: string): boolean {
    if (start + needle.length > text.length) return false;
    const fold = this.fold;
    for (let j = 0; j < needle.length; j++) if (fold[text.charCodeAt(start + j)] !== needle.charCodeAt(j)) return false;
    return true;
  }
}
