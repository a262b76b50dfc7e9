import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../bin/registry.js';

/** The registry's specs and the commands it loads are one and the same: one source of truth for help. */
describe('command registry', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s loads the command its spec describes', async (_name, entry) => {
    const command = await entry.load();
    expect(command.name).toBe(entry.name);
    expect(command.summary).toBe(entry.summary);
    expect(command.help).toBe(entry.help);
    expect(typeof command.run).toBe('function');
  });

  it('command names are unique and every summary is one line', () => {
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
    for (const c of COMMANDS) expect(c.summary).not.toContain('\n');
  });
});
