import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../../../bin/main.js';
import { memoryIo } from '../../helpers/memory-io.js';
import { expectGolden } from '../../helpers/golden.js';
import { REPO_ROOT } from '../../helpers/cli.js';

/**
 * Golden diagnostics, one case per code: the input is the tiny repository in
 * examples/broken/<CODE>-<slug>/ and the expected output sits next to it, as
 * expected.pretty.txt (colourless code frames and summary) and expected.json
 * (`--format json`). Compared byte for byte; UPDATE_GOLDEN=1 regenerates them.
 */
const BROKEN = path.join(REPO_ROOT, 'examples/broken');
const CASES = readdirSync(BROKEN, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

async function run(dir: string, args: readonly string[]): Promise<{ code: number; stdout: string }> {
  const io = memoryIo(dir);
  const code = await main(['check', '.', ...args], io);
  expect(io.stderr.text).toBe('');
  return { code, stdout: io.stdout.text };
}

describe('examples/broken golden diagnostics', () => {
  test('there is a case per code folder name', () => {
    expect(CASES.length).toBeGreaterThan(20);
    for (const name of CASES) expect(name).toMatch(/^VG\d{4}-[a-z0-9-]+$/);
  });

  test.each(CASES)('%s', async (name) => {
    const dir = path.join(BROKEN, name);
    const code = name.slice(0, 6);
    const pretty = await run(dir, []);
    const json = await run(dir, ['--format', 'json']);
    expectGolden(pretty.stdout, path.join(dir, 'expected.pretty.txt'));
    expectGolden(json.stdout, path.join(dir, 'expected.json'));
    const codes = json.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { code: string }).code);
    // The case exists to show its code: it must report it.
    expect(codes).toContain(code);
    expect(pretty.code).toBe(json.stdout.includes('"severity":"error"') ? 1 : 0);
  });
});
