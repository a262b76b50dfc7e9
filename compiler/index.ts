import { CompileContext, type CompileOptions, type DiagnosticSummary } from './context.js';
import type { Model } from './model.js';
import { runsBefore, type StageName } from './pipeline.js';
import type { SigmaCompiled } from './sigma/compile-sigma.js';
import { SourceChangedError, type Source } from './source.js';
import type { Doc } from './stages/classify.js';
import { load, type Input } from './stages/load.js';
import { parse } from './stages/parse.js';
import { classify } from './stages/classify.js';
import { schemaIdOf, validate } from './stages/validate.js';
import { loadValidators } from './stages/schema-registry.js';
import { resolve } from './stages/resolve.js';
import { check } from './stages/check.js';
import { lower, type LoweredBundle } from './stages/lower.js';
import { readAttachments, type Attachments } from './lower/attachments.js';
import { eventsFiles } from './lower/self-tests.js';
import { FileCache, type CacheStats } from './cache.js';
import { recall, remember, withReused } from './stages/reuse.js';

export type { Input } from './stages/load.js';
export type { CompileOptions, DiagnosticSummary } from './context.js';
export type { CacheStats } from './cache.js';
export type { Model } from './model.js';
export type { BundleDocument, LoweredBundle } from './stages/lower.js';

/** The outcome of a compilation: tagged by whether any error was reported. */
export type CompileResult = (
  | {
      readonly ok: true;
      readonly model: Model;
      readonly sigma: ReadonlyMap<Doc, SigmaCompiled>;
      /** One bundle document per host group, when the lower stage ran. */
      readonly bundles?: readonly LoweredBundle[];
      /** Non-policy files the bundles embed (rule tests' events), when the lower stage ran. */
      readonly attachments?: Attachments;
    }
  | { readonly ok: false; readonly model?: Model; readonly fatal: boolean }
) & {
  /** Sorted, capped diagnostics with error and warning counts. */
  readonly report: DiagnosticSummary;
  /** Every file read, by path, for code frames. */
  readonly sources: ReadonlyMap<string, Source>;
  /** Milliseconds spent per stage. */
  readonly timings: Readonly<Partial<Record<StageName, number>>>;
  /** How the compile cache was used, when one was given. */
  readonly cache?: Readonly<CacheStats>;
};

/**
 * Compiles a policy repository into per-group bundle documents; never throws for bad input.
 *
 * Stages run in STAGES order. Each one drops only the documents it found broken and passes
 * the rest on, so one bad file never hides the problems of the others (a repository is
 * checked as a whole). The early return is for a fatal load: nothing could be read at all.
 * With a cache, files unchanged since a clean build skip parse to Sigma compilation (their
 * results come back from compiler/cache.ts); clean fresh files are stored at the end.
 */
export async function compile(input: Input, opts: CompileOptions = {}): Promise<CompileResult> {
  const ctx = new CompileContext(opts);
  try {
    return await runStages(input, opts, ctx);
  } catch (error) {
    // A file saved during the build: what was compiled would mix two versions of it.
    if (!(error instanceof SourceChangedError)) throw error;
    ctx.sourceChanged(error.path);
    return finish(ctx, undefined);
  }
}

async function runStages(input: Input, opts: CompileOptions, ctx: CompileContext): Promise<CompileResult> {
  const until = opts.until;
  // The cache holds results up to the check stage, so only runs that reach it use the cache.
  const cache = opts.cacheDir !== undefined && runsBefore('check', until) ? FileCache.open(opts.cacheDir, opts.sigma ?? {}) : undefined;
  const done = (model?: Model, sigma?: ReadonlyMap<Doc, SigmaCompiled>, lowered?: Lowered) => finish(ctx, cache?.stats, model, sigma, lowered);
  const sources = await ctx.timeAsync('load', () => load(input, ctx, cache ? (origin, file, stat) => cache.knownDigest(origin, file, stat) : undefined)); if (ctx.fatal || !runsBefore('parse', until)) return done();
  const { fresh, reused } = ctx.time('parse', () => recall(sources, cache));
  const yamlDocs = ctx.time('parse', () => parse(fresh, ctx));      if (!runsBefore('classify', until)) return done();
  const classified = ctx.time('classify', () => classify(yamlDocs, ctx));
  const docs = withReused(classified, reused);                       if (!runsBefore('validate', until)) return done();
  await ctx.timeAsync('validate', () => loadValidators(classified.flatMap((d) => schemaIdOf(d) ?? [])));
  const validFresh = ctx.time('validate', () => validate(classified, ctx));
  const valid = withReused(validFresh, reused);                      if (!runsBefore('resolve', until)) return done();
  const model = ctx.time('resolve', () => resolve(valid, docs, ctx)); if (!runsBefore('check', until)) return done(model);
  const checked = ctx.time('check', () => check(model, docs, ctx, reused));
  const keep = () => remember(cache, fresh, classified, validFresh, checked.sigma, ctx);
  if (ctx.failed || !runsBefore('lower', until)) {
    keep();
    return done(model, checked.sigma);
  }
  const origin = sources[0]?.origin;
  const attachments = await ctx.timeAsync('lower', () => readAttachments(input, origin?.kind === 'git' ? origin.commit : undefined, eventsFiles(model)));
  const bundles = ctx.time('lower', () => lower(model, checked.sigma, attachments, ctx));
  keep();
  return done(model, checked.sigma, { bundles, attachments });
}

/** What the lower stage produced. */
interface Lowered {
  readonly bundles: readonly LoweredBundle[];
  readonly attachments: Attachments;
}

function finish(ctx: CompileContext, cache: CacheStats | undefined, model?: Model, sigma?: ReadonlyMap<Doc, SigmaCompiled>, lowered?: Lowered): CompileResult {
  ctx.reportChanged();
  const report = ctx.summary();
  const common = { report, sources: ctx.sources, timings: ctx.timings, ...(cache ? { cache: { ...cache } } : {}) };
  if (!ctx.failed && model !== undefined && sigma !== undefined) return { ok: true, model, sigma, ...(lowered ?? {}), ...common };
  return { ok: false, fatal: ctx.fatal, ...(model ? { model } : {}), ...common };
}
