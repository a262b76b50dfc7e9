import { createRequire } from 'node:module';
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import { SCHEMAS } from '../../schema/generated/kinds.js';
import { VALIDATORS } from '../../schema/generated/validators.js';

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction | null>();

/** The one Ajv instance, with every embedded schema added (built on first use). */
function instance(): Ajv2020 {
  if (ajv) return ajv;
  // Loaded only here: with every validator precompiled, no run needs Ajv itself (loading it costs
  // tens of milliseconds of every command's start). Both packages are CommonJS.
  const require = createRequire(import.meta.url);
  const { Ajv2020 } = require('ajv/dist/2020') as typeof import('ajv/dist/2020.js');
  const addFormats = require('ajv-formats') as (ajv: Ajv2020) => void;
  // allErrors: report every problem of a document in one run, as every stage must.
  ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true });
  addFormats(ajv);
  for (const schema of Object.values(SCHEMAS)) ajv.addSchema(schema);
  return ajv;
}

/**
 * The validator for a schema `$id`: precompiled by `npm run gen` (schema/gen-validators.ts), or
 * compiled once per process when the generated module lacks it; undefined when absent.
 */
export function validatorFor(schemaId: string): ValidateFunction | undefined {
  const cached = compiled.get(schemaId);
  if (cached !== undefined) return cached ?? undefined;
  let fn: ValidateFunction | null = null;
  const pre = VALIDATORS[schemaId];
  if (typeof pre === 'function') fn = pre as ValidateFunction;
  else if (SCHEMAS[schemaId] !== undefined) fn = instance().getSchema(schemaId) ?? null;
  compiled.set(schemaId, fn);
  return fn ?? undefined;
}
