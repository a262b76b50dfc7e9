import { Worker } from 'node:worker_threads';
import { compile, type CompileOptions, type Input } from '../index.js';
import { lineCol } from '../source.js';
import { incrementalPair } from './incremental.js';
import { snapshotOf, type PolicySnapshot } from './snapshot.js';

/**
 * One side of a comparison: a policy directory at a ref (or in the working tree), compiled
 * and reduced to its snapshot. Two sides compile in two worker threads at once when the
 * compiled build runs, so `vigil plan` costs about one compilation of wall time, not two.
 */

/** An error that kept a side from compiling, located for printing. */
export interface SideError {
  readonly code: string;
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A compiled side, or why it could not be compiled. */
export type SideResult =
  | { readonly ok: true; readonly snapshot: PolicySnapshot }
  | { readonly ok: false; readonly fatal: boolean; readonly errors: readonly SideError[]; readonly errorCount: number };

/** How sides are compiled. */
export interface SideOptions {
  /** Sigma logsource pipeline, as for `vigil compile` (default there: `windows`); undefined maps nothing. */
  readonly pipeline?: string;
  /** Add each group's published bundle digest. */
  readonly digests?: boolean;
  /** The per-file results cache `vigil compile` and `vigil check` share (compiler/cache.ts). */
  readonly cacheDir?: string;
}

/** Compiler options for a side: the same Sigma pipeline `vigil compile` would use. */
export function compileOptions(options: SideOptions): CompileOptions {
  return { ...(options.pipeline === undefined ? {} : { sigma: { pipeline: options.pipeline } }), ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }) };
}

/** Compiles one side in this thread. */
export async function loadSide(input: Input, options: SideOptions = {}): Promise<SideResult> {
  const result = await compile(input, compileOptions(options));
  if (result.ok) return { ok: true, snapshot: snapshotOf(result.model, result.sigma, result.sources, result.bundles, options) };
  const errors = result.report.diagnostics
    .filter((d) => d.severity === 'error')
    .slice(0, 20)
    .map((d) => {
      const source = result.sources.get(d.span.file);
      const at = source ? lineCol(source, d.span.start) : { line: 1, column: 1 };
      return { code: d.code, message: d.message, file: d.span.file, line: at.line, column: at.column };
    });
  return { ok: false, fatal: result.fatal, errors, errorCount: result.report.errors };
}

/**
 * Compiles a base and a head: by the incremental fast path when the head is a ref and the
 * change only edits rules in place (compiler/history/incremental.ts), else both in full.
 */
export async function loadPair(base: Input & { ref: string }, head: Input, options: SideOptions = {}): Promise<[SideResult, SideResult]> {
  if (head.ref !== undefined) {
    const pair = await incrementalPair(base.dir, base.ref, head.ref, options);
    if (pair) return [{ ok: true, snapshot: pair[0] }, { ok: true, snapshot: pair[1] }];
  }
  return loadSides(base, head, options);
}

/** Compiles two sides, in parallel worker threads when running from the compiled build. */
export async function loadSides(a: Input, b: Input, options: SideOptions = {}): Promise<[SideResult, SideResult]> {
  const workerUrl = new URL('./side-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.js')) return [await loadSide(a, options), await loadSide(b, options)];
  return Promise.all([inWorker(workerUrl, a, options), inWorker(workerUrl, b, options)]);
}

function inWorker(url: URL, input: Input, options: SideOptions): Promise<SideResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: { input: { dir: input.dir, ...(input.ref === undefined ? {} : { ref: input.ref }) }, options } });
    let done = false;
    worker.once('message', (result: SideResult) => {
      done = true;
      resolve(result);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!done) reject(new Error(`compiler worker exited with code ${code}`));
    });
  });
}
