import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCodeModule from 'ajv/dist/standalone/index.js';
import addFormatsModule from 'ajv-formats';

/**
 * Precompiled validators (Ajv's standalone code) for every schema, so a `vigil` process never
 * compiles a schema at run time: compiling the Sigma rule schema alone took ~400 ms of every
 * `vigil check`/`compile`, however few files changed. The options must stay those of
 * compiler/stages/schema-registry.ts (its fallback compiles with them), since diagnostics are
 * built from the errors (`allErrors`, `verbose`).
 */

// Both are CommonJS; under NodeNext their default import is the function itself.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const standaloneCode = ((standaloneCodeModule as unknown as { default?: unknown }).default ?? standaloneCodeModule) as (ajv: Ajv2020, refs: Record<string, string>) => string;

/**
 * The TypeScript module exporting `VALIDATORS` ($id -> validate function) for these schemas (or
 * the `only` ones).
 * `fast` drops `allErrors` and `verbose` (the first error only, no copies of schema values): the
 * agent's check of a bundle's detection IR, where a 7 MB document must validate in milliseconds
 * and one reason is enough to refuse it.
 */
export function renderValidators(schemas: readonly Record<string, unknown>[], banner: string, opts: { readonly fast?: boolean; readonly only?: readonly string[] } = {}): string {
  const fast = opts.fast ?? false;
  const ajv = new Ajv2020({ allErrors: !fast, strict: false, verbose: !fast, code: { source: true } });
  addFormats(ajv);
  // Every schema is added (one may refer to another); only the `only` ones are exported.
  const ids = schemas.map((s) => s.$id as string).filter((id) => opts.only === undefined || opts.only.includes(id)).sort();
  for (const s of schemas) ajv.addSchema(s);
  const refs: Record<string, string> = {};
  ids.forEach((id, i) => (refs[`v${i}`] = id));
  // Standalone code is CommonJS (`exports.vN = …`, `require(...)` of Ajv's runtime helpers):
  // wrapped so it runs as this project's ES module, with `require` from createRequire.
  const body = standaloneCode(ajv, refs).replace(/^"use strict";/, '');
  return [
    banner,
    '// @ts-nocheck',
    '/* eslint-disable */',
    "import { createRequire } from 'node:module';",
    'const require = createRequire(import.meta.url);',
    'const exports = {};',
    body,
    `const IDS = ${JSON.stringify(ids)};`,
    '/** Precompiled validate functions by schema `$id`. */',
    'export const VALIDATORS: Readonly<Record<string, unknown>> = Object.fromEntries(IDS.map((id, i) => [id, exports[`v${i}`]]));',
    '',
  ].join('\n');
}

/** The module name of one schema's precompiled validator: `validate-<schema file base>`. */
export function validatorModuleName(schemaId: string): string {
  const base = schemaId.slice(schemaId.lastIndexOf('/') + 1).replace(/\.schema\.json$/, '');
  return `validate-${base}`;
}

/**
 * The index module: a loader per schema `$id` of its own validator module, so a run loads (and
 * V8 compiles) only the validators of the kinds it meets. All of them together are 1.4 MB of
 * code, about 35 ms of every start; a rebuild after one changed rule needs the Sigma one only.
 */
export function renderValidatorIndex(schemaIds: readonly string[], banner: string): string {
  const entries = [...schemaIds].sort().map((id) => `  ${JSON.stringify(id)}: () => import('./${validatorModuleName(id)}.js'),`);
  return [
    banner,
    '/** A module holding precompiled validate functions by schema `$id`. */',
    'export interface ValidatorModule {',
    '  readonly VALIDATORS: Readonly<Record<string, unknown>>;',
    '}',
    '',
    '/** Loads the precompiled validator module of a schema `$id`. */',
    'export const VALIDATOR_MODULES: Readonly<Record<string, () => Promise<ValidatorModule>>> = {',
    ...entries,
    '};',
    '',
  ].join('\n');
}
