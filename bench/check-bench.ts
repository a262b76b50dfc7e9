import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { compile } from '../compiler/index.js';
import { corpusDir, filesUnder } from './corpus.js';
import { alternatingMedians, emit, progress } from './measure.js';

/**
 * `vigil check` over the whole SigmaHQ corpus against its floor: reading and merely parsing
 * the same YAML files with the same parser, measured in the same process and run, in
 * alternating rounds.
 */
async function main(): Promise<void> {
  const dir = path.join(corpusDir(), 'sigmahq');
  const files = filesUnder(dir, /\.ya?ml$/i);
  progress(`check bench: ${files.length} files`);
  let documents = 0;
  let errors = 0;
  // Floor and check alternate, so a change in the machine's speed during the run weighs on both.
  const [floor, check] = (await alternatingMedians([
    () => {
      for (const f of files) parseAllDocuments(readFileSync(f, 'utf8'));
    },
    async () => {
      const result = await compile({ dir }, { until: 'check' });
      documents = result.sources.size;
      errors = result.report.errors;
    },
  ])) as [number, number];
  progress('');
  const ratio = check / floor;
  emit({
    suite: 'check',
    figures: [
      { name: 'files', value: files.length, unit: 'files' },
      { name: 'parse floor (read + yaml.parseAllDocuments)', value: floor, unit: 'ms' },
      { name: 'vigil check (load .. check)', value: check, unit: 'ms' },
      { name: 'check / parse floor', value: ratio, unit: 'x', goal: '<= 2.0', pass: ratio <= 2 },
    ],
    notes: [`${documents} sources read; ${errors} errors (the corpus also holds regression info.yml and thor.yml, which are not policy documents)`],
  });
}

await main();
