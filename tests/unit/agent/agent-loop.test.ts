import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAgent, type RunningAgent } from '../../../runtime/agent.js';
import { httpOrigin } from '../../../runtime/http-origin.js';
import { Engine } from '../../../runtime/engine/engine.js';
import { startServer, type RunningServer } from '../../../runtime/server/server.js';
import { bundleDocument, fixture, processEvent, reconRules, type Fixture } from './fixture.js';

/**
 * The loop in-process with a real server and state directory: a bundle that passes its self-test
 * but then fails on live events is abandoned for the last-known-good, by the agent itself, and
 * the revert is reported to the server.
 */

let f: Fixture;
let server: RunningServer;

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  f = await fixture('vigil-loop-');
  await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'good' }) }]);
  server = await startServer({ out: f.out, port: 0, tickMs: 100 });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await server.close();
});

describe('agent loop', () => {
  it('reverts to its last-known-good after an error burst on a new bundle, and reports it', async () => {
    // The faulty bundle carries one extra rule; the engine running it fails on every live event
    // (the self-test evaluates through the rule set, which stays sound, so activation succeeds).
    const original = Engine.prototype.process;
    vi.spyOn(Engine.prototype, 'process').mockImplementation(function (this: Engine, ...args: Parameters<Engine['process']>) {
      if (this.ruleSet.rules.some((r) => r.id === 'faulty-extra')) throw new Error('simulated engine fault');
      return original.apply(this, args);
    });
    const events = new PassThrough();
    const alerts: string[] = [];
    const logs: string[] = [];
    const agent: RunningAgent = startAgent({
      origin: httpOrigin({ base: server.url, host: 'h1', group: 'g1' }), trust: f.trust, stateDir: path.join(f.dir, 'state'), group: 'g1', host: 'h1',
      events, alert: (l) => alerts.push(l), log: (l) => logs.push(l), pollIntervalMs: 200, burstErrors: 3,
    });
    try {
      await until('first activation', () => agent.status().state === 'running');
      const good = agent.status().bundle?.digest as string;
      const extra = { ...(reconRules()[0] as object), id: 'faulty-extra', name: 'faulty_extra' };
      await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'faulty', rules: [...reconRules(), extra as never] }) }]);
      await until('faulty bundle active', () => agent.status().bundle?.digest !== good);
      for (let i = 0; i < 3; i++) events.write(JSON.stringify(processEvent('whoami.exe')) + '\n');
      await until('reverted', () => agent.status().reverted !== undefined);
      const s = agent.status();
      expect(s.bundle?.digest).toBe(good);
      expect(s.reverted).toMatchObject({ to: good, reason: expect.stringMatching(/3 engine errors/) as unknown });
      events.write(JSON.stringify(processEvent('whoami.exe')) + '\n');
      await until('alert from the last-known-good', () => alerts.length === 1);
      expect(alerts[0]).toContain(good.slice(0, 12));
      // The server heard about it, and the faulty digest is never activated again.
      await until('server knows', () => JSON.stringify(server.fleet.snapshot(Date.now())).includes('"reverted"'));
      await new Promise((r) => setTimeout(r, 600));
      expect(agent.status().bundle?.digest).toBe(good);
      expect(logs.filter((l) => /activated bundle/.test(l))).toHaveLength(2);
    } finally {
      await agent.stop();
    }
  });
});
