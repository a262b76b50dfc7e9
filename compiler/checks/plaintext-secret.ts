import { isMap, isPair, isScalar, isSeq, visit, type Node } from 'yaml';
import { diag } from '../diagnostics/diagnostic.js';
import type { Reporter } from '../reporter.js';
import { spanOfNode } from '../span.js';
import { isSigmaKind, type Doc } from '../stages/classify.js';
import { pathLabel } from '../stages/yaml-nodes.js';
import type { Check, CheckInput } from './check.js';
import { findSecretFormat, isSafeSecretValue, isSecretField } from './secret-patterns.js';

/**
 * VG4006: a secret in plaintext: a Credential (or any secret field such as `password`)
 * holding a literal, or any string shaped like a known key or token. Git history keeps
 * it forever, so it must be sealed (age) or referenced (`env:`, `file:`) instead. The
 * diagnostic names the kind of secret and never repeats its value.
 */
export const plaintextSecret: Check = {
  code: 'VG4006',
  run({ allDocs }: CheckInput, report: Reporter): void {
    for (const doc of allDocs) scanDoc(doc, report);
  },
};

/** Reports every plaintext secret of one document. */
export function scanDoc(doc: Doc, report: Reporter): void {
  const byField = !isSigmaKind(doc.kind) && doc.kind !== 'RuleTests';
  const file = doc.source.path;
  visit(doc.doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string') return;
      const value = node.value;
      let type = findSecretFormat(value);
      // Sigma rules are checked only for secret-shaped values: their path is needed only then.
      if (type === undefined && !byField) return;
      const path = pathOf(ancestors, node);
      const field = path.length > 0 ? path[path.length - 1] : undefined;
      const parent = path.length > 1 ? path[path.length - 2] : undefined;
      if (type === undefined && typeof field === 'string' && isSecretField(field, typeof parent === 'string' ? parent : undefined) && !isSafeSecretValue(value)) {
        type = `literal \`${field}\` value`;
      }
      if (type === undefined) return;
      const where = path.length === 0 ? 'the document' : `\`${pathLabel(path)}\``;
      report.report(diag('VG4006', spanOfNode(file, node), { where, type }, { label: 'plaintext secret' }));
    },
  });
}

/** The key/index path from the document root to a node, from visit's ancestor list. */
function pathOf(ancestors: readonly unknown[], node: Node): (string | number)[] {
  const path: (string | number)[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const a = chain[i];
    const next = chain[i + 1];
    if (isPair(a)) {
      path.push(isScalar(a.key) ? String(a.key.value) : String(a.key));
    } else if (isSeq(a)) {
      path.push(a.items.indexOf(next as never));
    } else if (isMap(a)) {
      continue;
    }
  }
  return path;
}
