import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VigilProcess } from '../helpers/agent-process.js';

/** `vigil demo` (what `npm start` runs): the whole loop on one machine, ending by itself. */
describe('vigil demo', () => {
  it('compiles, serves, runs an agent over the sample events, prints alerts and cleans up', async () => {
    const p = new VigilProcess(['demo']);
    const timer = setTimeout(() => void p.stop('SIGKILL'), 90_000);
    const { code } = await p.exited;
    clearTimeout(timer);
    const out = p.stdout.join('\n');
    expect(p.stderr.join('\n')).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/compiled 4 bundles/);
    expect(out).toMatch(/activated bundle [0-9a-f]{12}/);
    expect(out).toMatch(/ALERT MEDIUM +System Discovery Via WMIC\.EXE/);
    expect(out).toMatch(/threat score `recon-tools` reached 100\/100/);
    expect(out).toMatch(/chain `domain-admin-recon`/);
    expect(out).toMatch(/AMS-WS-002 +group contoso-workstations +bundle v1 [0-9a-f]{12} +self-test passed +drift no/);
    expect(out).toMatch(/agent and server stopped/);
    const tmp = /into (\S+)\/out from/.exec(out)?.[1];
    expect(tmp && existsSync(tmp)).toBe(false);
  }, 120_000);
});
