import type { Document } from 'yaml';
import type { Source } from '../source.js';
import type { Reporter } from '../reporter.js';

/** One parsed YAML document that classify recognised as a Sigma rule, correlation or filter. */
export interface SigmaDocInput {
  readonly source: Source;
  readonly doc: Document.Parsed;
}

/** What the Sigma compiler returns for a document it could compile. */
export interface SigmaCompiled {
  readonly type: 'rule' | 'correlation' | 'filter';
  readonly id: string;
  readonly title: string;
  /** The rule lowered to plain JSON IR (travels in bundles; the engine builds matchers from it). */
  readonly ir: unknown;
}

/** Options shared by every Sigma document of one compilation. */
export interface SigmaOptions {
  /** Logsource pipeline name (e.g. `windows`); undefined means no mapping. */
  readonly pipeline?: string;
  /** Values for `|expand` placeholders, by placeholder name. */
  readonly placeholders?: Readonly<Record<string, readonly string[]>>;
}

/** Compiles one Sigma document to IR, reporting every problem it finds; undefined when it has errors. */
export function compileSigmaDoc(input: SigmaDocInput, reporter: Reporter, options: SigmaOptions = {}): SigmaCompiled | undefined {
  void input;
  void reporter;
  void options;
  return undefined;
}
