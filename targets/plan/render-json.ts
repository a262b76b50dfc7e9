import type { Plan } from './plan.js';

/** `vigil plan --format json`: the plan as one JSON document, keys sorted, so equal plans print equal bytes. */
export function renderPlanJson(plan: Plan): string {
  return JSON.stringify(sortKeys(plan), null, 2) + '\n';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
