/** One changed setting: its JSON path and its value before and after (absent when it did not exist). */
export interface FieldChange {
  readonly path: string;
  readonly before?: string;
  readonly after?: string;
}

/** The settings that differ between two JSON values, by path (`scores[2].score`), sorted by path. */
export function diffSpecs(before: unknown, after: unknown): FieldChange[] {
  const a = flatten(before);
  const b = flatten(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: FieldChange[] = [];
  for (const path of paths) {
    const x = a.get(path);
    const y = b.get(path);
    if (x === y) continue;
    out.push({ path, ...(x === undefined ? {} : { before: x }), ...(y === undefined ? {} : { after: y }) });
  }
  return out;
}

/** Leaf values of a JSON value by path; empty objects and arrays are leaves too. */
export function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value) && value.length > 0) {
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const key of Object.keys(value).sort()) flatten((value as Record<string, unknown>)[key], prefix === '' ? key : `${prefix}.${key}`, out);
  } else if (value !== undefined) {
    out.set(prefix === '' ? '(value)' : prefix, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return out;
}

/** A stable text form of a JSON value (keys sorted), for equality checks. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}
