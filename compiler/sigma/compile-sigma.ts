import type { Document } from 'yaml';
import { isMap, type Node, type YAMLMap } from 'yaml';
import type { Source } from '../source.js';
import type { Reporter } from '../reporter.js';
import { fileStart, spanOfNode } from '../span.js';
import { diag } from '../diagnostics/diagnostic.js';
import type { Attribution, DetectionRule, Expr, FilterRule, Rule, Variant } from '../../runtime/engine/ir.js';
import { compileDetection } from './compile-detection.js';
import { compileCorrelation, type RuleHeader } from './compile-correlation.js';
import { loadPipeline, variantsFor, type Pipeline, type PipelineVariant } from './pipelines.js';
import { mapFields, necessaryAtoms, normalizeAtoms, requiredEventIds, simplify, type FieldMap } from './lower-variants.js';
import { jsOf, pairOf, rootMap } from './yaml-nodes.js';

/**
 * The Sigma compiler entry: one YAML document (detection rule, correlation rule or filter, as
 * SigmaHQ writes them; https://github.com/SigmaHQ/sigma-specification, version 2.1.0) → IR.
 * It reports every problem it finds and returns undefined when any is an error.
 */

/** One parsed YAML document that classify recognised as a Sigma rule, correlation or filter. */
export interface SigmaDocInput {
  readonly source: Source;
  readonly doc: Document.Parsed;
  /** Position of the document in its file, used to name rules without an id. */
  readonly index?: number;
}

/** What the Sigma compiler returns for a document it could compile. */
export interface SigmaCompiled {
  readonly type: 'rule' | 'correlation' | 'filter';
  readonly id: string;
  readonly title: string;
  /** The rule lowered to plain JSON IR (travels in bundles; the engine builds matchers from it). */
  readonly ir: Rule;
}

/** Options shared by every Sigma document of one compilation. */
export interface SigmaOptions {
  /** Logsource pipeline name (e.g. `windows`) or path to a pipeline file; undefined means no mapping. */
  readonly pipeline?: string;
  /** A pipeline already loaded (takes precedence over `pipeline`). */
  readonly pipelineData?: Pipeline;
  /** Values for `|expand` placeholders, by placeholder name. */
  readonly placeholders?: Readonly<Record<string, readonly string[]>>;
  /**
   * Rule field → event field renames that apply on top of the pipeline (e.g. from a LogSource
   * policy, whose `event field → rule field` mapping the caller inverts).
   */
  readonly fieldMap?: FieldMap;
}

function strOrUndef(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function stringList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x) => typeof x === 'string' || typeof x === 'number').map(String);
  return undefined;
}

/** Reads the metadata every Sigma document shares; reports a missing or mistyped title. */
function header(input: SigmaDocInput, root: YAMLMap, reporter: Reporter): RuleHeader | undefined {
  const { source } = input;
  const titleNode = pairOf(root, 'title');
  const title = jsOf(titleNode?.value);
  let ok = true;
  if (titleNode === undefined) {
    reporter.report(diag('VG6009', fileStart(source.path), { field: 'title' }));
    ok = false;
  } else if (typeof title !== 'string') {
    reporter.report(diag('VG6018', spanOfNode(source.path, titleNode.value as never), { field: 'title', expected: 'a string' }));
    ok = false;
  }
  const idVal = jsOf(pairOf(root, 'id')?.value);
  if (idVal !== undefined && typeof idVal !== 'string') {
    reporter.report(diag('VG6018', spanOfNode(source.path, pairOf(root, 'id')!.value as never), { field: 'id', expected: 'a string (a UUID)' }));
    ok = false;
  }
  if (!ok) return undefined;
  const name = strOrUndef(jsOf(pairOf(root, 'name')?.value));
  const id = (idVal as string | undefined) ?? name ?? `${source.path}#${input.index ?? 0}`;
  const author = strOrUndef(jsOf(pairOf(root, 'author')?.value));
  const references = stringList(jsOf(pairOf(root, 'references')?.value) ?? jsOf(pairOf(root, 'reference')?.value));
  const license = strOrUndef(jsOf(pairOf(root, 'license')?.value));
  const attribution: Attribution = {
    ...(author ? { author } : {}),
    ...(references && references.length ? { references } : {}),
    ...(license ? { license } : {}),
    source: source.path,
  };
  const level = strOrUndef(jsOf(pairOf(root, 'level')?.value));
  const status = strOrUndef(jsOf(pairOf(root, 'status')?.value));
  const tags = stringList(jsOf(pairOf(root, 'tags')?.value));
  return {
    id,
    ...(name ? { name } : {}),
    title: title as string,
    ...(level ? { level } : {}),
    ...(status ? { status } : {}),
    ...(tags && tags.length ? { tags } : {}),
    attribution,
  };
}

function logsourceOf(root: YAMLMap): Record<string, string> {
  const ls = jsOf(pairOf(root, 'logsource')?.value);
  const out: Record<string, string> = {};
  if (ls && typeof ls === 'object' && !Array.isArray(ls)) {
    for (const [k, v] of Object.entries(ls as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
    }
  }
  return out;
}

/** Lowers one expression into the variants the pipeline gives the logsource. */
/**
 * The variants of a condition per the pipeline's logsource mappings. For a rule, event ids its
 * condition requires narrow the variant's scope (the index then skips it for other ids). Not for
 * a filter (`liftIds` false): outside its scope a filter does not apply at all, while an event
 * whose id the filter's condition requires otherwise simply fails it.
 */
export function lowerVariants(expr: Expr, logsource: Readonly<Record<string, string>>, pipeline: Pipeline | undefined, extra: FieldMap = {}, liftIds = true): Variant[] {
  const scoped = variantsFor(pipeline, logsource);
  const list: readonly PipelineVariant[] = scoped.length > 0 ? scoped : [{ fieldMap: {} }];
  const out: Variant[] = [];
  for (const pv of list) {
    const map = { ...(pipeline?.fieldMap ?? {}), ...pv.fieldMap, ...extra };
    const condition = simplify(mapFields(expr, map));
    const atoms = necessaryAtoms(condition);
    const required = liftIds ? requiredEventIds(condition) : null;
    let eventIds = pv.eventIds ? [...pv.eventIds] : undefined;
    if (required !== null) eventIds = (eventIds ? eventIds.filter((id) => required.includes(id)) : [...new Set(required)]).sort((a, b) => a - b);
    // A variant whose event ids and the rule's cannot meet never matches: leave it out.
    if (eventIds && eventIds.length === 0) continue;
    out.push({
      ...(pv.channels ? { channels: pv.channels } : {}),
      ...(eventIds ? { eventIds } : {}),
      condition,
      ...(atoms && atoms.length > 0 ? { prefilter: normalizeAtoms(atoms) } : {}),
    });
  }
  return out.length > 0 ? out : [{ condition: { op: 'const', value: false } }];
}

function resolvePipeline(source: Source, options: SigmaOptions, reporter: Reporter): Pipeline | undefined | false {
  if (options.pipelineData) return options.pipelineData;
  if (!options.pipeline) return undefined;
  const p = loadPipeline(options.pipeline);
  if (p instanceof Error) {
    reporter.report(diag('VG6017', fileStart(source.path), { name: options.pipeline, detail: p.message }));
    return false;
  }
  return p;
}

/** Compiles one Sigma document to IR, reporting every problem it finds; undefined when it has errors. */
export function compileSigmaDoc(input: SigmaDocInput, reporter: Reporter, options: SigmaOptions = {}): SigmaCompiled | undefined {
  const compiled = compileDoc(input, reporter, options);
  const problem = compiled && unencodable(compiled.ir);
  if (!problem) return compiled;
  // Bundles are canonical JSON (UTF-8): a value it cannot carry is the rule's error, not an internal one.
  reporter.report(diag('VG6008', spanOfNode(input.source.path, input.doc.contents as never), { what: 'the compiled rule', expected: 'text and finite numbers', actual: problem }));
  return undefined;
}

/** Any surrogate (a cheap first test), and one that is not half of a pair (String#isWellFormed is ES2024). */
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What in a value canonical JSON cannot encode (a number beyond ±1.8e308, a lone UTF-16 surrogate
 * from a `\\u` escape), or undefined. It walks every rule of a full build: no array per object.
 */
function unencodable(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `the number ${String(value)}`;
  if (typeof value === 'string') return SURROGATE.test(value) && LONE_SURROGATE.test(value) ? 'a string with an unpaired surrogate (`\\uD800`–`\\uDFFF` escape)' : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = unencodable(value[i]);
      if (problem) return problem;
    }
    return undefined;
  }
  for (const key in value) {
    const problem = unencodable((value as Record<string, unknown>)[key]);
    if (problem) return problem;
  }
  return undefined;
}

function compileDoc(input: SigmaDocInput, reporter: Reporter, options: SigmaOptions): SigmaCompiled | undefined {
  const { source } = input;
  const root = rootMap(input.doc);
  if (!root) {
    reporter.report(diag('VG6009', spanOfNode(source.path, input.doc.contents as never), { field: 'title' }));
    return undefined;
  }
  let failed = false;
  const counting: Reporter = {
    report(d) {
      if (d.severity === 'error') failed = true;
      reporter.report(d);
    },
  };
  const head = header(input, root, counting);
  const ctx = { source, reporter: counting, placeholders: options.placeholders ?? {} };
  const correlation = pairOf(root, 'correlation');
  if (correlation) {
    const ir = compileCorrelation(source, correlation.value, head ?? { id: '', title: '', attribution: {} }, pairOf(root, 'generate')?.value, counting);
    if (!ir || !head || failed) return undefined;
    return { type: 'correlation', id: ir.id, title: ir.title, ir };
  }
  const pipeline = resolvePipeline(source, options, counting);
  const logsource = logsourceOf(root);
  const filter = pairOf(root, 'filter');
  if (filter) {
    if (!isMap(filter.value)) {
      counting.report(diag('VG6016', spanOfNode(source.path, filter.value as never), { detail: '`filter` must be a map with `rules`, selections and `condition`' }));
      return undefined;
    }
    const fmap = filter.value as YAMLMap;
    const rulesVal = jsOf(pairOf(fmap, 'rules')?.value);
    const rules = typeof rulesVal === 'string' && rulesVal.toLowerCase() === 'any' ? ('any' as const) : stringList(rulesVal);
    if (!rules || (rules !== 'any' && rules.length === 0)) counting.report(diag('VG6016', spanOfNode(source.path, (pairOf(fmap, 'rules')?.value ?? filter.key) as never), { detail: '`rules` must list rule ids or names, or be `any`' }));
    const condNode = pairOf(fmap, 'condition')?.value;
    if (condNode === undefined) counting.report(diag('VG6009', spanOfNode(source.path, filter.key as never), { field: 'filter.condition' }));
    const expr = compileDetection(fmap, condNode, ctx, ['rules']);
    if (!expr || !head || failed || pipeline === false || !rules) return undefined;
    const ir: FilterRule = { type: 'filter', id: head.id, ...(head.name ? { name: head.name } : {}), title: head.title, attribution: head.attribution, rules, logsource, variants: lowerVariants(expr, logsource, pipeline, options.fieldMap, false) };
    return { type: 'filter', id: ir.id, title: ir.title, ir };
  }
  const detection = pairOf(root, 'detection');
  if (!pairOf(root, 'logsource')) counting.report(diag('VG6009', fileStart(source.path), { field: 'logsource' }));
  if (!detection) {
    counting.report(diag('VG6009', fileStart(source.path), { field: 'detection' }));
    return undefined;
  }
  if (!isMap(detection.value)) {
    counting.report(diag('VG6018', spanOfNode(source.path, (detection.value ?? detection.key) as never), { field: 'detection', expected: 'a map of selections and a condition' }));
    return undefined;
  }
  const dmap = detection.value as YAMLMap;
  const condNode = pairOf(dmap, 'condition')?.value as Node | null | undefined;
  if (condNode === undefined) counting.report(diag('VG6009', spanOfNode(source.path, detection.key as never), { field: 'detection.condition' }));
  const expr = compileDetection(dmap, condNode, ctx);
  if (!expr || !head || failed || pipeline === false) return undefined;
  const ir: DetectionRule = { type: 'detection', ...head, logsource, variants: lowerVariants(expr, logsource, pipeline, options.fieldMap) };
  return { type: 'rule', id: ir.id, title: ir.title, ir };
}
