import { KINDS, SIGMA_RULE_SCHEMA_ID, isKindName } from '../../schema/generated/kinds.js';
import type { CompileContext } from '../context.js';
import { isSigmaKind, type Doc } from './classify.js';
import { validatorFor } from './schema-registry.js';
import { schemaDiagnostics } from './schema-errors.js';

/** The JSON Schema `$id` a document is validated against, if any. */
export function schemaIdOf(doc: Doc): string | undefined {
  if (isSigmaKind(doc.kind)) return SIGMA_RULE_SCHEMA_ID;
  if (isKindName(doc.kind)) return KINDS[doc.kind].schemaId;
  return undefined; // rule-tests sidecars are checked by the rule-tests check
}

/**
 * Validates every document against its kind's schema with ajv (all errors at once) and
 * returns the documents that passed. A failing document is reported and left out of
 * resolve, so one broken file never hides the problems of the others.
 */
export function validate(docs: readonly Doc[], ctx: CompileContext): Doc[] {
  const valid: Doc[] = [];
  for (const doc of docs) {
    const id = schemaIdOf(doc);
    const check = id === undefined ? undefined : validatorFor(id);
    if (check === undefined || check(doc.data)) {
      valid.push(doc);
      continue;
    }
    const found = schemaDiagnostics(doc, check.errors ?? []).filter((d) => !isSecretPattern(d));
    for (const d of found) ctx.report(d);
    if (found.length === 0) valid.push(doc);
  }
  return valid;
}

/**
 * A literal where a secret reference belongs fails the secret-reference pattern; the
 * plaintext-secret check reports it with a clearer, secret-specific diagnostic instead.
 */
function isSecretPattern(d: { code: string; hint?: string }): boolean {
  return d.code === 'VG2005' && d.hint !== undefined && d.hint.includes('env:') && d.hint.includes('file:');
}
