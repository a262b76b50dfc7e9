import { compileSigmaDoc, type SigmaCompiled } from '../sigma/compile-sigma.js';
import { diag } from '../diagnostics/diagnostic.js';
import { spanOfNode } from '../span.js';
import type { CompileContext } from '../context.js';
import type { Model } from '../model.js';
import { ALL_CHECKS } from '../checks/index.js';
import type { Check } from '../checks/check.js';
import { plaintextSecret } from '../checks/plaintext-secret.js';
import { NOTHING_REUSED, type Reused } from './reuse.js';
import { isSigmaKind, type Doc } from './classify.js';
import { freezeJson } from '../../runtime/bundle/canonical.js';

/** The model after checks, with what the Sigma compiler produced for each rule. */
export interface Checked {
  readonly model: Model;
  readonly sigma: ReadonlyMap<Doc, SigmaCompiled>;
}

/**
 * Checks whose findings depend on one document alone. A document restored from the compile
 * cache had no diagnostic at all when it was cached, so these skip it (they would otherwise
 * parse its YAML again only to find nothing).
 */
const PER_DOCUMENT: ReadonlySet<Check> = new Set([plaintextSecret]);

/**
 * Compiles every valid Sigma document once (the Sigma compiler reports its VG6xxx
 * diagnostics), then runs every check of ALL_CHECKS over the model. Checks only report.
 * Documents restored from the cache bring their compiled Sigma with them.
 */
export function check(model: Model, allDocs: readonly Doc[], ctx: CompileContext, reused: Reused = NOTHING_REUSED): Checked {
  const sigma = new Map<Doc, SigmaCompiled>();
  const sigmaDocs = model.docs.filter((d) => isSigmaKind(d.kind));
  sigmaDocs.forEach((doc, i) => {
    const cached = reused.sigma.get(doc);
    if (cached) {
      sigma.set(doc, cached);
      return;
    }
    try {
      const compiled = compileSigmaDoc({ source: doc.source, doc: doc.doc }, ctx, ctx.options.sigma ?? {});
      // The IR is final here: frozen, so bundles can share (and memoise) it by identity.
      if (compiled) sigma.set(doc, { ...compiled, ir: freezeJson(compiled.ir) });
    } catch (error) {
      // A crash in one rule's compilation must not stop the others: report it as a bug.
      ctx.report(diag('VG9000', spanOfNode(doc.source.path, doc.doc.contents), { detail: error instanceof Error ? error.message : String(error) }));
    }
    if (i % 200 === 0) ctx.progress('check', i, sigmaDocs.length);
  });
  const input = { model, allDocs, sigma };
  const freshInput = reused.docs.size === 0 ? input : { ...input, allDocs: allDocs.filter((d) => !reused.docs.has(d)) };
  for (const c of ALL_CHECKS) c.run(PER_DOCUMENT.has(c) ? freshInput : input, ctx);
  return { model, sigma };
}
