import picomatch from 'picomatch';
import { diag } from '../diagnostics/diagnostic.js';
import { spanOfNode } from '../span.js';
import type { CompileContext } from '../context.js';
import type { ResolvedPackage, RuleEntry } from '../model.js';
import type { Doc } from './classify.js';
import { valuesAt } from './references.js';
import { hintOf, type KnownNames } from './resolve.js';
import { valueNode } from './yaml-nodes.js';

/**
 * Expands each Package's rule selectors (ids, paths, globs, tags, minus exclusions) into
 * a sorted list of rule ids. Unknown ids and paths are errors with did-you-mean; a glob
 * or tag that selects nothing is a warning (it may be meant for rules added later).
 */
export function resolvePackages(packages: ReadonlyMap<string, Doc>, rules: ReadonlyMap<string, RuleEntry>, known: KnownNames, ctx: CompileContext): Map<string, ResolvedPackage> {
  const out = new Map<string, ResolvedPackage>();
  const byPath = new Map<string, RuleEntry[]>();
  for (const rule of rules.values()) byPath.set(rule.path, [...(byPath.get(rule.path) ?? []), rule]);
  const allPaths = [...byPath.keys()];
  for (const [name, doc] of packages) {
    const file = doc.source.path;
    const at = (path: readonly (string | number)[]) => spanOfNode(file, valueNode(doc.doc, path));
    const selected = new Set<string>();
    for (const { value, path } of valuesAt(doc.data, ['spec', 'rules', 'ids', '*'])) {
      if (rules.has(value)) selected.add(value);
      else if (!known.get('rule')?.has(value)) ctx.report(diag('VG3002', at(path), { id: value }, hintOf(value, rules.keys())));
    }
    for (const { value, path } of valuesAt(doc.data, ['spec', 'rules', 'paths', '*'])) {
      const hits = byPath.get(normalize(value));
      if (hits) hits.forEach((r) => selected.add(r.id));
      else if (!ctx.sources.has(normalize(value))) ctx.report(diag('VG3003', at(path), { path: value }, hintOf(value, allPaths)));
    }
    for (const { value, path } of valuesAt(doc.data, ['spec', 'rules', 'globs', '*'])) {
      const match = picomatch(value, { dot: false });
      const hits = allPaths.filter((p) => match(p));
      hits.forEach((p) => byPath.get(p)!.forEach((r) => selected.add(r.id)));
      if (hits.length === 0) ctx.report(diag('VG3004', at(path), { selector: 'glob', value }));
    }
    for (const { value, path } of valuesAt(doc.data, ['spec', 'rules', 'tags', '*'])) {
      let hit = false;
      for (const rule of rules.values()) {
        if (rule.tags.includes(value)) {
          selected.add(rule.id);
          hit = true;
        }
      }
      if (!hit) ctx.report(diag('VG3004', at(path), { selector: 'tag', value }, { hint: 'no Sigma rule in the repository carries this tag' }));
    }
    for (const { value } of valuesAt(doc.data, ['spec', 'rules', 'exclude', 'ids', '*'])) selected.delete(value);
    const excludedTags = new Set(valuesAt(doc.data, ['spec', 'rules', 'exclude', 'tags', '*']).map((v) => v.value));
    if (excludedTags.size > 0) {
      for (const id of [...selected]) if (rules.get(id)?.tags.some((t) => excludedTags.has(t))) selected.delete(id);
    }
    out.set(name, { name, doc, ruleIds: [...selected].sort() });
  }
  return out;
}

/** Repository-relative paths as written by people: `./rules/x.yml` and `rules\x.yml` too. */
function normalize(p: string): string {
  return p.replace(/\\/g, '/').replace(/^\.\//, '');
}
