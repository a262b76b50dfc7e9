import { diag } from '../diagnostics/diagnostic.js';
import { findSecretFormat, isSafeSecretValue, isSecretField } from '../checks/secret-patterns.js';
import { symbolsOf, type Model } from '../model.js';
import type { Reporter } from '../reporter.js';
import { spanOfNode } from '../span.js';
import type { Doc, DocKind } from '../stages/classify.js';
import { nearestNode } from '../stages/yaml-nodes.js';

/** A policy document as it travels in a bundle: its name and spec, nothing about where it came from. */
export interface NamedSpec {
  readonly name: string;
  readonly spec: Readonly<Record<string, unknown>>;
}

/** A value as plain JSON: YAML may hold values JSON has no form for (`.inf`), which never reach a bundle. */
export function plainJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value ?? null)) as T;
}

/** The spec of a document as plain JSON, without the fields that only steer compilation. */
function specOf(doc: Doc, drop: readonly string[] = []): Record<string, unknown> {
  const spec = plainJson((doc.data.spec ?? {}) as Record<string, unknown>);
  for (const key of drop) delete spec[key];
  return spec;
}

/** The named documents of a kind, sorted by name; names without a document are skipped (resolve reported them). */
export function namedSpecs(model: Model, kind: DocKind, names: Iterable<string>, drop: readonly string[] = []): NamedSpec[] {
  const table = symbolsOf(model, kind);
  return [...new Set(names)].sort().flatMap((name) => {
    const doc = table.get(name);
    return doc ? [{ name, spec: specOf(doc, drop) }] : [];
  });
}

/** Whether a string is age ciphertext (the only secret form that may travel in a bundle). */
export function isSealed(value: string): boolean {
  return value.startsWith('-----BEGIN AGE ENCRYPTED FILE-----');
}

/**
 * The credentials of a group by name, as written in the repository (minus `hostGroups`): every
 * secret is age ciphertext or an `env:`/`file:` reference resolved on the agent. A secret field
 * in any other form is reported (VG5005) and the credential left out: plaintext never reaches a
 * bundle, even if the plaintext-secret check was silenced.
 */
export function lowerCredentials(model: Model, names: readonly string[], reporter: Reporter): { credentials: Record<string, unknown>; sealed: boolean } {
  const table = symbolsOf(model, 'Credential');
  const credentials: Record<string, unknown> = {};
  let sealed = false;
  for (const name of [...new Set(names)].sort()) {
    const doc = table.get(name);
    if (!doc) continue;
    const spec = specOf(doc, ['hostGroups']);
    let clean = true;
    walkStrings(spec, [], (value, path) => {
      const field = path[path.length - 1];
      const parent = path[path.length - 2];
      if (isSealed(value)) {
        sealed = true;
        return;
      }
      const secretByName = typeof field === 'string' && isSecretField(field, typeof parent === 'string' ? parent : undefined);
      if ((secretByName && !isSafeSecretValue(value)) || findSecretFormat(value) !== undefined) {
        clean = false;
        const at = spanOfNode(doc.source.path, nearestNode(doc.doc, ['spec', ...path]));
        reporter.report(diag('VG5005', at, { name, field: path.join('.') }));
      }
    });
    if (clean) credentials[name] = spec;
  }
  return { credentials, sealed };
}

/** Calls `visit` for every string in a JSON value with its path. */
function walkStrings(value: unknown, path: (string | number)[], visit: (value: string, path: (string | number)[]) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, [...path, i], visit));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], visit);
}
