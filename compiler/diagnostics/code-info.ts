import type { Severity } from './diagnostic.js';

/** One entry of the diagnostics catalog. */
export interface CodeInfo {
  /** Kebab-case name of the problem, stable like the code (`unknown-field`). */
  readonly slug: string;
  readonly severity: Severity;
  /** One-line description for docs/diagnostics.md and SARIF rule metadata. */
  readonly title: string;
  /** Message template: lowercase start, no final period, names in backticks, `{arg}` placeholders. */
  readonly message: string;
  /** Default hint template; a diagnostic may give a more specific one. */
  readonly hint?: string;
  /** Marks a code that is no longer emitted; codes never change meaning or get reused. */
  readonly retired?: true;
}
