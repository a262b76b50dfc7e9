import { describe, expect, it } from 'vitest';
import { main } from '../../bin/main.js';
import { COMMANDS } from '../../bin/registry.js';
import { memoryIo } from '../helpers/memory-io.js';

/** Every command documents itself: `--help` prints a usage line and at least one example. */
describe('vigil <command> --help', () => {
  it.each(COMMANDS.map((c) => c.name))('%s has a usage line and an example', async (name) => {
    const io = memoryIo();
    const code = await main([...name.split(' '), '--help'], io);
    expect(code).toBe(0);
    expect(io.stdout.text).toMatch(new RegExp(`^Usage: vigil ${name}`, 'm'));
    expect(io.stdout.text).toMatch(/^Examples?:/m);
  });

  it('the top-level help lists every command, and an unknown command is a usage error', async () => {
    const io = memoryIo();
    expect(await main(['--help'], io)).toBe(0);
    for (const c of COMMANDS) expect(io.stdout.text).toContain(`  ${c.name} `);
    const bad = memoryIo();
    expect(await main(['chek'], bad)).toBe(2);
    expect(bad.stderr.text).toContain('unknown command `chek`');
  });
});
