import { compareDiagnostics, diag, type Diagnostic } from './diagnostics/diagnostic.js';
import { fileStart } from './span.js';
import type { Reporter } from './reporter.js';
import type { Source } from './source.js';
import type { StageName } from './pipeline.js';
import type { SigmaOptions } from './sigma/compile-sigma.js';

/** Options of one compilation. */
export interface CompileOptions {
  /** Stop after this stage (`vigil check` stops after `check`). */
  readonly until?: StageName;
  /** Diagnostics kept per file; the rest are counted in `omitted` (graphql-js maxErrors). */
  readonly maxPerFile?: number;
  /** Largest policy file read, in bytes. */
  readonly maxFileBytes?: number;
  /** Called as a long stage advances; only `vigil check` on a TTY passes one. */
  readonly onProgress?: (stage: StageName, done: number, total: number) => void;
  /** Options handed to the Sigma compiler for every Sigma document. */
  readonly sigma?: SigmaOptions;
  /**
   * Directory of the content-hash cache of per-file results (compiler/cache.ts); no cache when
   * absent. Only compilations that run the check stage use it. It never changes the output.
   */
  readonly cacheDir?: string;
  /**
   * How long ago (ms before the build starts) a file must last have changed for the cache to
   * vouch for its bytes by its size, times and inode alone (default 2000); tests set it.
   */
  readonly statSlackMs?: number;
}

/** Default of `statSlackMs`: well above any file system's time resolution. */
export const DEFAULT_STAT_SLACK_MS = 2000;

/** Defaults shared by the CLI and tests. */
export const DEFAULT_MAX_PER_FILE = 50;
export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024;

/** Diagnostics of one compilation, sorted and capped, with what was left out per file. */
export interface DiagnosticSummary {
  readonly diagnostics: readonly Diagnostic[];
  /** Diagnostics not shown because a file reached the cap, by file. */
  readonly omitted: ReadonlyMap<string, number>;
  readonly errors: number;
  readonly warnings: number;
}

/**
 * The one mutable thing of a compilation: where diagnostics go, plus options, the sources
 * read (for code frames) and stage timings. Stages receive it and only call report().
 */
export class CompileContext implements Reporter {
  readonly options: CompileOptions;
  readonly sources = new Map<string, Source>();
  readonly timings: Partial<Record<StageName, number>> = {};
  private readonly items: Diagnostic[] = [];
  private readonly filesWithErrors = new Set<string>();
  /** Files any diagnostic points into (primary or related span): never cached. */
  private readonly filesMentioned = new Set<string>();
  /** Set when the input itself could not be read, so no later stage has anything to do. */
  fatal = false;
  /** Files found changed since the build read their digest (reported as VG1014 when the build ends). */
  private readonly changed = new Set<string>();

  constructor(options: CompileOptions = {}) {
    this.options = options;
  }

  /** Records a diagnostic. */
  report(diagnostic: Diagnostic): void {
    this.items.push(diagnostic);
    if (diagnostic.severity === 'error') this.filesWithErrors.add(diagnostic.span.file);
    this.filesMentioned.add(diagnostic.span.file);
    for (const r of diagnostic.related ?? []) this.filesMentioned.add(r.span.file);
  }

  /** Notes that a file's bytes are no longer those its digest was taken from. */
  sourceChanged(file: string): void {
    this.changed.add(file);
  }

  /** Reports each changed file once (VG1014, an error: the build's result would mix two versions of it). */
  reportChanged(): void {
    for (const file of [...this.changed].sort()) this.report(diag('VG1014', fileStart(file)));
    this.changed.clear();
  }

  /** Whether any diagnostic (of any severity, or a related note) points into this file. */
  hasDiagnosticIn(file: string): boolean {
    return this.filesMentioned.has(file);
  }

  /** Whether any error was reported so far. */
  get failed(): boolean {
    return this.filesWithErrors.size > 0;
  }

  /** Whether an error was reported for this file. */
  hasErrorIn(file: string): boolean {
    return this.filesWithErrors.has(file);
  }

  /** Number of diagnostics reported so far (lets a stage see whether a step added any). */
  get count(): number {
    return this.items.length;
  }

  /** Runs a stage and records how long it took. */
  time<T>(stage: StageName, run: () => T): T {
    const start = performance.now();
    try {
      return run();
    } finally {
      this.timings[stage] = (this.timings[stage] ?? 0) + performance.now() - start;
    }
  }

  /** Runs an asynchronous stage (load) and records how long it took. */
  async timeAsync<T>(stage: StageName, run: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await run();
    } finally {
      this.timings[stage] = (this.timings[stage] ?? 0) + performance.now() - start;
    }
  }

  /** Reports progress of a long stage, if anyone listens. */
  progress(stage: StageName, done: number, total: number): void {
    this.options.onProgress?.(stage, done, total);
  }

  /** The diagnostics sorted by (file, position, code) and capped per file. */
  summary(): DiagnosticSummary {
    const max = this.options.maxPerFile ?? DEFAULT_MAX_PER_FILE;
    const sorted = dedupe([...this.items].sort(compareDiagnostics));
    const kept: Diagnostic[] = [];
    const perFile = new Map<string, number>();
    const omitted = new Map<string, number>();
    let errors = 0;
    let warnings = 0;
    for (const d of sorted) {
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
      const n = (perFile.get(d.span.file) ?? 0) + 1;
      perFile.set(d.span.file, n);
      if (n > max) omitted.set(d.span.file, (omitted.get(d.span.file) ?? 0) + 1);
      else kept.push(d);
    }
    return { diagnostics: kept, omitted, errors, warnings };
  }
}

/** Drops exact repeats (same code, place and message), which overlapping schema branches produce. */
function dedupe(sorted: Diagnostic[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of sorted) {
    const last = out[out.length - 1];
    if (last && last.code === d.code && last.span.file === d.span.file && last.span.start === d.span.start && last.span.end === d.span.end && last.message === d.message) continue;
    out.push(d);
  }
  return out;
}
