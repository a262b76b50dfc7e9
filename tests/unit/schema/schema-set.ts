import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { REPO_ROOT } from '../../helpers/cli.js';

/** Test support: the schema files on disk, an ajv instance holding them, and a walker over subschemas. */

// ajv-formats is CommonJS; under NodeNext its default import is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

export const SCHEMA_DIR = path.join(REPO_ROOT, 'schema');

/** Every schema/*.schema.json, parsed, keyed by file name. */
export function loadSchemaFiles(): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json')).sort()) {
    out.set(file, JSON.parse(readFileSync(path.join(SCHEMA_DIR, file), 'utf8')) as Record<string, unknown>);
  }
  return out;
}

/** An ajv 2020-12 instance in strict mode with formats, holding every schema. */
export function strictAjv(schemas: Iterable<object>): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  for (const schema of schemas) ajv.addSchema(schema);
  return ajv;
}

/** A subschema and its JSON pointer inside its schema file. */
export interface Located {
  readonly pointer: string;
  readonly schema: unknown;
}

/** RFC 6901 escaping of one pointer segment. */
function escapeSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

const MAP_KEYWORDS = new Set(['properties', '$defs', 'patternProperties', 'dependentSchemas']);
const ARRAY_KEYWORDS = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems']);
const SINGLE_KEYWORDS = new Set(['items', 'additionalProperties', 'propertyNames', 'not', 'if', 'then', 'else', 'contains']);

/** Every subschema reachable through applicator keywords, with its pointer (the root is ``). */
export function walkSchemas(root: unknown, pointer = ''): Located[] {
  const out: Located[] = [{ pointer, schema: root }];
  if (root === null || typeof root !== 'object' || Array.isArray(root)) return out;
  for (const [key, value] of Object.entries(root as Record<string, unknown>)) {
    const at = `${pointer}/${escapeSegment(key)}`;
    if (MAP_KEYWORDS.has(key) && value && typeof value === 'object') {
      for (const [name, sub] of Object.entries(value as Record<string, unknown>)) out.push(...walkSchemas(sub, `${at}/${escapeSegment(name)}`));
    } else if (ARRAY_KEYWORDS.has(key) && Array.isArray(value)) {
      value.forEach((sub, i) => out.push(...walkSchemas(sub, `${at}/${i}`)));
    } else if (SINGLE_KEYWORDS.has(key)) {
      out.push(...walkSchemas(value, at));
    }
  }
  return out;
}

/**
 * The property schemas (entries of every `properties` keyword) with their pointers,
 * leaving out `if`/`not` conditions: those test values, they describe nothing to a user.
 */
export function propertySchemas(root: unknown): Located[] {
  const out: Located[] = [];
  for (const { pointer, schema } of walkSchemas(root)) {
    if (schema === null || typeof schema !== 'object') continue;
    if (/\/(if|not)(\/|$)/.test(pointer)) continue;
    const props = (schema as Record<string, unknown>).properties;
    if (props === null || typeof props !== 'object') continue;
    for (const [name, sub] of Object.entries(props as Record<string, unknown>)) {
      out.push({ pointer: `${pointer}/properties/${escapeSegment(name)}`, schema: sub });
    }
  }
  return out;
}
