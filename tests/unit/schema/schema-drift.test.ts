import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateAll } from '../../../schema/gen.js';
import { SCHEMA_DIR } from './schema-set.js';

describe('schema/generated', () => {
  it('matches what `npm run gen` produces from schema/*.schema.json, byte for byte', async () => {
    const expected = await generateAll(SCHEMA_DIR);
    const drifted: string[] = [];
    for (const [rel, content] of expected) {
      let actual: string | undefined;
      try {
        actual = readFileSync(path.join(SCHEMA_DIR, rel), 'utf8');
      } catch {
        actual = undefined;
      }
      if (actual === undefined) drifted.push(`schema/${rel} (missing)`);
      else if (actual !== content) drifted.push(`schema/${rel} (differs)`);
    }
    for (const name of readdirSync(path.join(SCHEMA_DIR, 'generated'))) {
      if (!expected.has(`generated/${name}`)) drifted.push(`schema/generated/${name} (stale: no schema produces it)`);
    }
    expect(drifted, `schema/generated is out of date; run \`npm run gen\`:\n${drifted.join('\n')}`).toEqual([]);
  });

  it('is deterministic: two runs give identical output', async () => {
    const a = await generateAll(SCHEMA_DIR);
    const b = await generateAll(SCHEMA_DIR);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [rel, content] of a) expect(b.get(rel), rel).toBe(content);
    expect(a.has('generated/kinds.ts')).toBe(true);
  });
});
