import { compileRuleSet } from '../../runtime/engine/evaluate.js';
import type { Rule } from '../../runtime/engine/ir.js';
import { parseRuleTests } from '../checks/rule-tests.js';
import { diag } from '../diagnostics/diagnostic.js';
import type { Model, ResolvedGroup } from '../model.js';
import type { Reporter } from '../reporter.js';
import { spanOfNode, type Span } from '../span.js';
import { valuesAt } from '../stages/references.js';
import { valueNode } from '../stages/yaml-nodes.js';
import type { Doc } from '../stages/classify.js';
import type { Attachments } from './attachments.js';

/** A self-test vector as agents replay it before activation: events and how often a rule must match them. */
export interface SelfTestVector {
  readonly name: string;
  readonly rule: string;
  readonly events: readonly unknown[];
  /** A number: exactly that many matches; true: at least one; false: none. */
  readonly match: boolean | number;
}

/** A vector with the place it was written, for reporting a failure. */
interface Located {
  readonly vector: SelfTestVector;
  readonly span: Span;
  readonly label: string;
}

const quiet: Reporter = { report: () => undefined };

/** The events of a JSON Lines file, or why it cannot be used. */
export function jsonLines(bytes: Uint8Array): unknown[] | string {
  const out: unknown[] = [];
  const lines = Buffer.from(bytes).toString('utf8').split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return `line ${i + 1} is not a JSON object`;
      out.push(value);
    } catch {
      return `line ${i + 1} is not JSON`;
    }
  }
  return out;
}

/** Every `eventsFile` the packages of the model name (to read before lowering). */
export function eventsFiles(model: Model): string[] {
  const out = new Set<string>();
  for (const p of model.packages.values()) for (const { value } of valuesAt(p.doc.data, ['spec', 'tests', '*', 'eventsFile'])) out.add(value);
  return [...out].sort();
}

/** The vectors of a group's packages (`spec.tests`), reporting tests about rules the package does not deploy. */
function packageVectors(model: Model, group: ResolvedGroup, attachments: Attachments, reporter: Reporter): Located[] {
  const out: Located[] = [];
  for (const name of group.packages) {
    const pkg = model.packages.get(name);
    if (!pkg) continue;
    const tests = (pkg.doc.data.spec as { tests?: unknown } | undefined)?.tests;
    if (!Array.isArray(tests)) continue;
    const own = new Set(pkg.ruleIds);
    tests.forEach((t: { name?: unknown; rule?: unknown; events?: unknown; eventsFile?: unknown; expectMatches?: unknown }, i) => {
      if (typeof t?.name !== 'string' || typeof t.rule !== 'string' || typeof t.expectMatches !== 'number') return;
      const file = pkg.doc.source.path;
      const at = (field: string) => spanOfNode(file, valueNode(pkg.doc.doc, ['spec', 'tests', i, field]));
      if (!own.has(t.rule)) {
        reporter.report(diag('VG5003', at('rule'), { name: t.name, rule: t.rule, package: name }));
        return;
      }
      const events: unknown[] = Array.isArray(t.events) ? [...t.events] : [];
      if (typeof t.eventsFile === 'string') {
        const got = attachments.get(t.eventsFile);
        const parsed = got === undefined ? 'it was not read' : typeof got === 'string' ? got : jsonLines(got);
        if (typeof parsed === 'string') {
          reporter.report(diag('VG5004', at('eventsFile'), { path: t.eventsFile, detail: parsed }));
          return;
        }
        events.push(...parsed);
      }
      out.push({ vector: { name: `${name}: ${t.name}`, rule: t.rule, events, match: t.expectMatches }, span: at('name'), label: t.name });
    });
  }
  return out;
}

/** The RuleTests documents of a model (usually none), found once per model rather than once per group. */
const ruleTestDocs = new WeakMap<Model, readonly Doc[]>();

/** The vectors of rule-tests sidecars about the group's detection rules (`vigil check` already ran them over the repository). */
function sidecarVectors(model: Model, rules: readonly Rule[]): Located[] {
  let docs = ruleTestDocs.get(model);
  if (docs === undefined) ruleTestDocs.set(model, (docs = model.docs.filter((d) => d.kind === 'RuleTests')));
  if (docs.length === 0) return [];
  const out: Located[] = [];
  const detection = rules.filter((r) => r.type === 'detection');
  for (const doc of docs) {
    const suite = parseRuleTests(doc.source, doc.doc, quiet);
    if (!suite) continue;
    const base = suite.file.replace(/\.tests\.ya?ml$/i, '');
    const rule = detection.find((r) => (suite.rule !== undefined ? r.id === suite.rule || r.name === suite.rule : r.attribution.source === `${base}.yml` || r.attribution.source === `${base}.yaml`));
    if (!rule) continue;
    for (const c of suite.cases) out.push({ vector: { name: `${suite.file}: ${c.name}`, rule: rule.id, events: c.events, match: c.match }, span: c.span, label: c.name });
  }
  return out;
}

/** How many times the rule set reports `rule` over the events, as the agent counts it. */
function countMatches(ruleSet: ReturnType<typeof compileRuleSet>, rule: string, events: readonly unknown[]): number | undefined {
  const target = ruleSet.rules.findIndex((r) => r.id === rule || r.name === rule);
  if (target < 0) return undefined;
  let count = 0;
  for (const event of events) ruleSet.evaluate(event, (ri) => (count += ri === target ? 1 : 0));
  return count;
}

/**
 * The self-test vectors of a group's bundle: its packages' rule tests and the rule-tests sidecars
 * of its rules. Each is replayed here through the engine agents run, over exactly the group's
 * rules, and a failing one is reported (VG5002): agents refuse a bundle whose self-test fails, so
 * it must never be published. Sorted by name.
 */
export function selfTests(model: Model, group: ResolvedGroup, rules: readonly Rule[], attachments: Attachments, reporter: Reporter): SelfTestVector[] {
  const located = [...packageVectors(model, group, attachments, reporter), ...sidecarVectors(model, rules)];
  if (located.length === 0) return [];
  const ruleSet = compileRuleSet(rules);
  for (const { vector, span, label } of located) {
    const count = countMatches(ruleSet, vector.rule, vector.events);
    const ok = count !== undefined && (typeof vector.match === 'number' ? count === vector.match : vector.match ? count > 0 : count === 0);
    if (ok) continue;
    const expected = typeof vector.match === 'number' ? String(vector.match) : vector.match ? 'at least 1' : '0';
    reporter.report(diag('VG5002', span, { name: label, rule: vector.rule, count: count ?? 0, expected }));
  }
  return located.map((l) => l.vector).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
