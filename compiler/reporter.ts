import type { Diagnostic } from './diagnostics/diagnostic.js';

/** The one side channel of every stage: where diagnostics go. */
export interface Reporter {
  report(diagnostic: Diagnostic): void;
}

/** A Reporter that keeps everything it is given, in order. */
export class DiagnosticList implements Reporter {
  readonly items: Diagnostic[] = [];
  report(diagnostic: Diagnostic): void {
    this.items.push(diagnostic);
  }
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}
