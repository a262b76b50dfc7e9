import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, type Document, type Node, type YAMLMap } from 'yaml';
import { diag } from '../diagnostics/diagnostic.js';
import type { Reporter } from '../reporter.js';
import type { Source } from '../source.js';
import { fileStart, spanOfNode, type Span } from '../span.js';
import type { DetectionRule, Rule } from '../../runtime/engine/ir.js';
import { compileRuleSet } from '../../runtime/engine/evaluate.js';
import { splitEvents } from '../../runtime/engine/event-stream.js';
import type { Check, CheckInput } from './check.js';

/**
 * VG6020: a rule's sample events do not give the expected result. A rule carries positive and
 * negative samples in a sidecar `<rule>.tests.yml`:
 *
 *     rule: 5f2a0c1e-...          # id or name; optional when the file is named after the rule
 *     tests:
 *       - name: whoami by a user
 *         event: { Image: 'C:\Windows\System32\whoami.exe' }
 *       - name: other tools do not match
 *         match: false
 *         event: { Image: 'C:\Windows\System32\ipconfig.exe' }
 *
 * Samples run through the same engine the agent runs (runtime/engine), with the filters that
 * apply to the rule, so a passing test means the deployed rule behaves the same way.
 */

/** One sample: an event (or several) and whether the rule must match it, or how many of them. */
export interface RuleTestCase {
  readonly name: string;
  readonly events: readonly unknown[];
  readonly match: boolean;
  /** Exact number of events the rule must match (a Package's `expectMatches`); overrides `match`. */
  readonly count?: number;
  readonly span: Span;
}

/** The samples of one rule. */
export interface RuleTestSuite {
  /** Rule id or name; undefined means "the rule the tests file is named after". */
  readonly rule: string | undefined;
  readonly file: string;
  readonly span: Span;
  readonly cases: readonly RuleTestCase[];
}

function nodeOf(map: YAMLMap, key: string): Node | null | undefined {
  for (const p of map.items) if ((p.key as { value?: unknown } | null)?.value === key) return p.value as Node | null;
  return undefined;
}

/** Reads a rule-tests document; reports what is malformed and skips those samples. */
export function parseRuleTests(source: Source, doc: Document.Parsed, reporter: Reporter): RuleTestSuite | undefined {
  const root = doc.contents;
  const at = spanOfNode(source.path, root as never);
  const bad = (node: unknown, detail: string) => reporter.report(diag('VG6021', node ? spanOfNode(source.path, node as never) : at, { detail }));
  if (!isMap(root)) {
    bad(root, 'the document must be a map with `tests`');
    return undefined;
  }
  const ruleNode = nodeOf(root, 'rule');
  const rule = (ruleNode as { value?: unknown } | null | undefined)?.value;
  if (ruleNode !== undefined && typeof rule !== 'string') bad(ruleNode, '`rule` must be a rule id or name');
  const testsNode = nodeOf(root, 'tests');
  if (!isSeq(testsNode)) {
    bad(testsNode ?? root, '`tests` must be a list of samples');
    return undefined;
  }
  const cases: RuleTestCase[] = [];
  testsNode.items.forEach((item, i) => {
    if (!isMap(item)) return bad(item, `sample ${i + 1} must be a map with \`name\` and \`event\``);
    const data = item.toJSON() as Record<string, unknown>;
    const name = typeof data.name === 'string' ? data.name : `#${i + 1}`;
    const events = data.events !== undefined ? data.events : data.event !== undefined ? [data.event] : undefined;
    if (!Array.isArray(events) || events.length === 0 || events.some((e) => typeof e !== 'object' || e === null || Array.isArray(e))) {
      return bad(item, `sample \`${name}\` needs \`event\` (a map) or \`events\` (a list of maps)`);
    }
    if (data.match !== undefined && typeof data.match !== 'boolean') return bad(nodeOf(item, 'match'), '`match` must be true or false');
    cases.push({ name, events, match: data.match !== false, span: spanOfNode(source.path, (nodeOf(item, 'name') ?? item) as never) });
  });
  return { rule: typeof rule === 'string' ? rule : undefined, file: source.path, span: ruleNode ? spanOfNode(source.path, ruleNode as never) : fileStart(source.path), cases };
}

/** The rule a suite is about: by id or name, else the rule file the tests file is named after. */
function targetOf(suite: RuleTestSuite, rules: readonly DetectionRule[]): number {
  if (suite.rule !== undefined) return rules.findIndex((r) => r.id === suite.rule || r.name === suite.rule);
  const base = suite.file.replace(/\.tests\.ya?ml$/i, '');
  return rules.findIndex((r) => r.attribution.source === `${base}.yml` || r.attribution.source === `${base}.yaml`);
}

/** Runs every suite against the compiled rules and reports each failing sample at its location. */
export function runRuleTests(suites: readonly RuleTestSuite[], rules: readonly Rule[], reporter: Reporter): void {
  if (suites.length === 0) return;
  const ruleSet = compileRuleSet(rules);
  for (const suite of suites) {
    const target = targetOf(suite, ruleSet.rules);
    if (target < 0) {
      reporter.report(diag('VG6022', suite.span, { ref: suite.rule ?? suite.file.replace(/\.tests\.ya?ml$/i, '') }));
      continue;
    }
    for (const c of suite.cases) {
      let hits = 0;
      for (const event of c.events) {
        let matched = false;
        ruleSet.evaluate(event, (ri) => (matched ||= ri === target));
        if (matched) hits++;
      }
      if (c.count !== undefined) {
        if (hits !== c.count) reporter.report(diag('VG6020', c.span, { name: c.name, detail: `expected ${c.count} matching event${c.count === 1 ? '' : 's'}, got ${hits}` }));
        continue;
      }
      if (hits > 0 === c.match) continue;
      const detail = c.match ? 'expected the rule to match, but it did not' : 'expected no match, but the rule matched';
      reporter.report(diag('VG6020', c.span, { name: c.name, detail }));
    }
  }
}

/** The check-stage entry: rule-tests documents against the compiled Sigma rules of the repository. */
export function ruleTests(input: { readonly tests: readonly { readonly source: Source; readonly doc: Document.Parsed }[]; readonly rules: readonly Rule[] }, reporter: Reporter): void {
  const suites: RuleTestSuite[] = [];
  for (const t of input.tests) {
    const suite = parseRuleTests(t.source, t.doc, reporter);
    if (suite) suites.push(suite);
  }
  runRuleTests(suites, input.rules, reporter);
}

/** Events of a Package test: inline `events`, plus `eventsFile` (JSON Lines) read from a working tree. */
function packageEvents(source: Source, test: Record<string, unknown>, at: Span, reporter: Reporter): unknown[] | undefined {
  const events: unknown[] = Array.isArray(test.events) ? [...(test.events as unknown[])] : [];
  if (typeof test.eventsFile === 'string') {
    try {
      const text = readEventsFile(source, test.eventsFile);
      for (const rec of splitEvents(text)) if ('event' in rec) events.push(rec.event);
    } catch {
      reporter.report(diag('VG6021', at, { detail: `cannot read events file \`${test.eventsFile}\`` }));
      return undefined;
    }
  }
  return events;
}

/**
 * Reads a rule test's events file from where the policy came from: the working tree, or the
 * same commit in git's object store (`vigil check --ref`), never the working tree then.
 */
function readEventsFile(source: Source, file: string): string {
  const origin = source.origin;
  if (origin.kind === 'worktree') return readFileSync(path.join(origin.root, file), 'utf8');
  // `<commit>:./<path>` is resolved against the -C directory, the policy directory at that ref.
  return execFileSync('git', ['-C', origin.root, 'show', `${origin.commit}:./${file.split(path.sep).join('/')}`], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

/** Rule tests written in a Package's `spec.tests` (`name`, `rule`, `events`/`eventsFile`, `expectMatches`). */
export function packageRuleTests(source: Source, doc: Document.Parsed, reporter: Reporter): RuleTestSuite[] {
  const testsNode = doc.getIn(['spec', 'tests'], true) as Node | undefined;
  if (!isSeq(testsNode)) return [];
  const suites: RuleTestSuite[] = [];
  testsNode.items.forEach((item) => {
    if (!isMap(item)) return;
    const data = item.toJSON() as Record<string, unknown>;
    if (typeof data.rule !== 'string' || typeof data.expectMatches !== 'number') return;
    const span = spanOfNode(source.path, (nodeOf(item, 'name') ?? item) as never);
    const events = packageEvents(source, data, span, reporter);
    if (!events) return;
    const name = typeof data.name === 'string' ? data.name : data.rule;
    suites.push({ rule: data.rule, file: source.path, span: spanOfNode(source.path, (nodeOf(item, 'rule') ?? item) as never), cases: [{ name, events, match: data.expectMatches > 0, count: data.expectMatches, span }] });
  });
  return suites;
}

/** The same, as an entry of ALL_CHECKS (compiler/checks/index.ts): sidecars and Package tests. */
export const ruleTestsCheck: Check = {
  code: 'VG6020',
  run({ allDocs, sigma }: CheckInput, report: Reporter): void {
    const suites: RuleTestSuite[] = [];
    for (const d of allDocs) {
      if (d.kind === 'RuleTests') {
        const suite = parseRuleTests(d.source, d.doc, report);
        if (suite) suites.push(suite);
      } else if (d.kind === 'Package') suites.push(...packageRuleTests(d.source, d.doc, report));
    }
    runRuleTests(suites, [...sigma.values()].map((c) => c.ir), report);
  },
};
