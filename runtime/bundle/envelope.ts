/**
 * The top level of a bundle document (schema/bundle.schema.json):
 * `{irVersion, features[], group, ring?, content: {...}}`. Checked by hand rather than by ajv so the
 * agent needs no schema files at run time; tests/unit/bundle/envelope.test.ts keeps this and the schema
 * in agreement. What `content` holds is the detection IR's business (schema/detection-ir.schema.json).
 */
import { isSafeSegment } from './layout.js';

/** The top level of a bundle. */
export interface BundleDocument {
  readonly irVersion: number;
  readonly features: readonly string[];
  readonly group: string;
  readonly ring?: string;
  readonly content: Readonly<Record<string, unknown>>;
}

/** What an agent understands; a bundle needing more is refused whole. */
export interface Capabilities {
  readonly irVersions: readonly number[];
  /** When absent, features are not checked (the engine supplies its list). */
  readonly features?: readonly string[];
}

const FIELDS = new Set(['irVersion', 'features', 'group', 'ring', 'content']);

/** Every reason a value is not a bundle document (empty when it is one). */
export function bundleDocumentProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['a bundle must be a JSON object'];
  const doc = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(doc).sort()) if (!FIELDS.has(key)) problems.push(`unknown top-level field \`${key}\``);
  if (!Number.isInteger(doc.irVersion) || (doc.irVersion as number) < 1) problems.push('`irVersion` must be an integer of at least 1');
  const features = doc.features;
  if (!Array.isArray(features) || !features.every((f) => typeof f === 'string' && /^[a-z][a-z0-9.-]*$/.test(f))) {
    problems.push('`features` must be an array of lower-case feature names');
  } else if (new Set(features).size !== features.length) problems.push('`features` lists a feature twice');
  if (typeof doc.group !== 'string' || !isSafeSegment(doc.group)) problems.push('`group` must be a safe name');
  if (doc.ring !== undefined && (typeof doc.ring !== 'string' || !isSafeSegment(doc.ring))) problems.push('`ring` must be a safe name');
  if (typeof doc.content !== 'object' || doc.content === null || Array.isArray(doc.content)) problems.push('`content` must be an object');
  return problems;
}

/** Why an agent with these capabilities cannot load a (well-formed) bundle, or undefined when it can. */
export function unsupportedReason(doc: BundleDocument, caps: Capabilities): string | undefined {
  if (!caps.irVersions.includes(doc.irVersion)) return `IR version ${doc.irVersion} is not supported (this agent reads ${caps.irVersions.join(', ')})`;
  const known = caps.features ? new Set(caps.features) : undefined;
  const unknown = known ? doc.features.filter((f) => !known.has(f)) : [];
  if (unknown.length > 0) return `unknown feature(s) ${unknown.map((f) => `\`${f}\``).join(', ')}`;
  return undefined;
}

/** The IR versions this build of Vigil reads. */
export const SUPPORTED_IR_VERSIONS: readonly number[] = [1];
