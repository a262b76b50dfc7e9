import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';
import { SIGMA_RULE_SCHEMA_ID } from '../../../schema/generated/kinds.js';
import { loadSchemaFiles, strictAjv } from './schema-set.js';

const CORPUS = path.resolve(REPO_ROOT, process.env.VIGIL_CORPUS ?? '../shared/corpus');
const SIGMA = path.join(CORPUS, 'sigmahq');
const FOLDERS = ['rules', 'rules-emerging-threats', 'rules-threat-hunting', 'rules-placeholder', 'rules-compliance'];

/** Every .yml file under a folder, recursively. */
function ymlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...ymlFiles(full));
    else if (name.endsWith('.yml')) out.push(full);
  }
  return out;
}

describe('sigma-rule.schema.json against SigmaHQ', () => {
  it('accepts every SigmaHQ rule in the corpus (not run when VIGIL_CORPUS is absent)', () => {
    if (!existsSync(SIGMA)) {
      console.warn(`not run: sigma-rule schema corpus check (no corpus at ${SIGMA})`);
      return;
    }
    const validate = strictAjv(loadSchemaFiles().values()).getSchema(SIGMA_RULE_SCHEMA_ID);
    if (!validate) throw new Error('sigma-rule schema missing');
    const files = FOLDERS.filter((f) => existsSync(path.join(SIGMA, f))).flatMap((f) => ymlFiles(path.join(SIGMA, f)));
    const offenders: string[] = [];
    for (const file of files) {
      if (!validate(parse(readFileSync(file, 'utf8')))) {
        offenders.push(`${path.relative(SIGMA, file)}: ${JSON.stringify(validate.errors?.slice(0, 2))}`);
      }
    }
    expect(offenders).toEqual([]);
    expect(files.length).toBeGreaterThan(3000);
  });
});
