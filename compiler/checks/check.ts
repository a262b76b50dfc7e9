import type { CodeId } from '../diagnostics/codes.js';
import type { Reporter } from '../reporter.js';
import type { Model } from '../model.js';
import type { SigmaCompiled } from '../sigma/compile-sigma.js';
import type { Doc } from '../stages/classify.js';

/** What every check sees: the resolved model and what the Sigma compiler made of each rule. */
export interface CheckInput {
  readonly model: Model;
  /** Every classified document, including those that failed validation (for content scans). */
  readonly allDocs: readonly Doc[];
  /** Compiled Sigma documents (only those without errors). */
  readonly sigma: ReadonlyMap<Doc, SigmaCompiled>;
}

/** One whole-repository check: it only reports, never changes its input. */
export interface Check {
  /** The code the check reports (its title is the code's slug in codes.ts). */
  readonly code: CodeId;
  run(input: CheckInput, report: Reporter): void;
}
