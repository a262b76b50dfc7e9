import { expect } from 'vitest';
import { createEngine, type Alert } from '../../../runtime/engine/engine.js';
import { compileText } from '../sigma/compile-helper.js';

/** Compiles Sigma text (which must compile cleanly), runs the events through a fresh engine, and flushes it when told. */
export function runRules(text: string, events: Record<string, unknown>[], flush = true): Alert[] {
  const { rules, diags } = compileText(text);
  expect(diags.items).toEqual([]);
  const engine = createEngine(rules);
  const out: Alert[] = [];
  events.forEach((e, i) => engine.process(e, i, (a) => out.push(a)));
  if (flush) engine.flush((a) => out.push(a));
  return out;
}
