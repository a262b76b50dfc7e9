import type { Rule } from '../../runtime/engine/ir.js';
import type { Model } from '../model.js';
import type { SigmaCompiled } from '../sigma/compile-sigma.js';
import type { Doc } from '../stages/classify.js';
import { freezeJson } from '../../runtime/bundle/canonical.js';

/**
 * One frozen rule list per distinct set of rules, per compilation (keyed by its Sigma results):
 * groups that get the same rules share one array, so its canonical text is built once.
 */
const interned = new WeakMap<ReadonlyMap<Doc, SigmaCompiled>, Map<string, readonly Rule[]>>();

function intern(sigma: ReadonlyMap<Doc, SigmaCompiled>, rules: Rule[]): readonly Rule[] {
  let table = interned.get(sigma);
  if (!table) interned.set(sigma, (table = new Map()));
  // Within one compilation an id names exactly one IR object, so the ids identify the list.
  const key = rules.map((r) => r.id).join('\n');
  const known = table.get(key);
  if (known) return known;
  const list = freezeJson(rules);
  table.set(key, list);
  return list;
}

/**
 * The Sigma IR a host group's agents need: the rules its packages select, plus what those rules
 * and the group's policies cannot work without. A correlation needs the rules it correlates; a
 * threat score or chain needs the rules it names; a Sigma filter naming a deployed rule travels
 * with it (it narrows that rule's alerts, as in `vigil check`'s rule tests), and a filter for
 * `any` rule travels with every group that has detection rules. Sorted by id.
 */
export function groupRules(model: Model, sigma: ReadonlyMap<Doc, SigmaCompiled>, selected: readonly string[], alsoNeeded: readonly string[]): readonly Rule[] {
  // The result depends only on the model, the Sigma results and these two lists: groups with the
  // same packages and policies ask the same question, so it is answered once per compilation.
  let answers = answered.get(sigma);
  if (!answers) answered.set(sigma, (answers = new Map()));
  const question = `${selected.join('\n')}\0${alsoNeeded.join('\n')}`;
  const known = answers.get(question);
  if (known) return known;
  const answer = chooseRules(model, sigma, selected, alsoNeeded);
  answers.set(question, answer);
  return answer;
}

/** groupRules results by their inputs, per compilation (keyed by its Sigma results). */
const answered = new WeakMap<ReadonlyMap<Doc, SigmaCompiled>, Map<string, readonly Rule[]>>();

function chooseRules(model: Model, sigma: ReadonlyMap<Doc, SigmaCompiled>, selected: readonly string[], alsoNeeded: readonly string[]): readonly Rule[] {
  const byName = new Map<string, string>();
  for (const r of model.rules.values()) if (r.name !== undefined && !byName.has(r.name)) byName.set(r.name, r.id);
  const idOf = (ref: string): string | undefined => (model.rules.has(ref) ? ref : byName.get(ref));
  const irOf = (id: string): Rule | undefined => {
    const entry = model.rules.get(id);
    return entry ? sigma.get(entry.doc)?.ir : undefined;
  };
  const chosen = new Map<string, Rule>();
  const queue = [...selected, ...alsoNeeded];
  // Correlations may reference other correlations, so follow references until nothing new appears.
  while (queue.length > 0) {
    const id = idOf(queue.pop() as string);
    if (id === undefined || chosen.has(id)) continue;
    const ir = irOf(id);
    if (ir === undefined) continue;
    chosen.set(id, ir);
    if (ir.type === 'correlation') queue.push(...ir.rules);
  }
  const deployed = new Set<string>();
  for (const r of chosen.values()) {
    deployed.add(r.id);
    if (r.name !== undefined) deployed.add(r.name);
  }
  const hasDetection = [...chosen.values()].some((r) => r.type === 'detection');
  for (const entry of model.rules.values()) {
    const ir = sigma.get(entry.doc)?.ir;
    if (ir?.type !== 'filter' || chosen.has(ir.id)) continue;
    if (ir.rules === 'any' ? hasDetection : ir.rules.some((ref) => deployed.has(ref))) chosen.set(ir.id, ir);
  }
  return intern(sigma, [...chosen.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
}
