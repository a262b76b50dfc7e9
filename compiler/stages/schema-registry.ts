import { createRequire } from 'node:module';
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import { SCHEMAS } from '../../schema/generated/kinds.js';
import { VALIDATOR_MODULES } from '../../schema/generated/validators.js';

let ajv: Ajv2020 | undefined;
const loaded = new Map<string, ValidateFunction | null>();

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
 * Makes the validators of these schema `$id`s ready for `validatorFor`: each precompiled one
 * (`npm run gen`, schema/gen-validators.ts) is its own module, loaded on first need, so a run
 * loads only the kinds it validates; a schema the generated modules lack is compiled once by Ajv.
 */
export async function loadValidators(schemaIds: Iterable<string>): Promise<void> {
  const wanted = [...new Set(schemaIds)].filter((id) => !loaded.has(id));
  await Promise.all(wanted.map(async (id) => {
    const load = VALIDATOR_MODULES[id];
    const pre = load ? (await load()).VALIDATORS[id] : undefined;
    if (typeof pre === 'function') loaded.set(id, pre as ValidateFunction);
    else loaded.set(id, SCHEMAS[id] !== undefined ? instance().getSchema(id) ?? null : null);
  }));
}

/** The validator for a schema `$id` that `loadValidators` made ready; undefined when there is no such schema. */
export function validatorFor(schemaId: string): ValidateFunction | undefined {
  const fn = loaded.get(schemaId);
  // A programming error, not bad input: the caller must await loadValidators first.
  if (fn === undefined) throw new Error(`the validator of ${schemaId} was not loaded (call loadValidators first)`);
  return fn ?? undefined;
}
