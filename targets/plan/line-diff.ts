/** One line of a diff: kept (` `), removed (`-`) or added (`+`). */
export interface DiffLine {
  readonly op: ' ' | '-' | '+';
  readonly text: string;
}

/** Largest number of lines compared with the quadratic table; longer inputs diff by common prefix and suffix only. */
const MAX_CELLS = 4_000_000;

/**
 * A line diff by longest common subsequence, after trimming the common prefix and suffix
 * (rule edits are usually local, so the table stays small). Deterministic: ties prefer
 * removals before additions, as `diff -u` prints them.
 */
export function diffLines(before: readonly string[], after: readonly string[]): DiffLine[] {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endB = before.length;
  let endA = after.length;
  while (endB > start && endA > start && before[endB - 1] === after[endA - 1]) {
    endB--;
    endA--;
  }
  const out: DiffLine[] = before.slice(0, start).map((text) => ({ op: ' ', text }));
  const b = before.slice(start, endB);
  const a = after.slice(start, endA);
  if ((b.length + 1) * (a.length + 1) > MAX_CELLS) {
    for (const text of b) out.push({ op: '-', text });
    for (const text of a) out.push({ op: '+', text });
  } else out.push(...lcs(b, a));
  for (const text of before.slice(endB)) out.push({ op: ' ', text });
  return out;
}

function lcs(b: readonly string[], a: readonly string[]): DiffLine[] {
  const n = b.length;
  const m = a.length;
  const table = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[at(i, j)] = b[i] === a[j] ? table[at(i + 1, j + 1)]! + 1 : Math.max(table[at(i + 1, j)]!, table[at(i, j + 1)]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (b[i] === a[j]) {
      out.push({ op: ' ', text: b[i]! });
      i++;
      j++;
    } else if (table[at(i + 1, j)]! >= table[at(i, j + 1)]!) out.push({ op: '-', text: b[i++]! });
    else out.push({ op: '+', text: a[j++]! });
  }
  while (i < n) out.push({ op: '-', text: b[i++]! });
  while (j < m) out.push({ op: '+', text: a[j++]! });
  return out;
}

/** Keeps changed lines with `context` unchanged lines around them; a gap becomes one `...` line. */
export function withContext(lines: readonly DiffLine[], context = 3): DiffLine[] {
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((l, i) => {
    if (l.op === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = true;
  });
  const out: DiffLine[] = [];
  let skipped = false;
  lines.forEach((l, i) => {
    if (keep[i]) {
      if (skipped && out.length > 0) out.push({ op: ' ', text: '...' });
      skipped = false;
      out.push(l);
    } else skipped = true;
  });
  return out;
}
