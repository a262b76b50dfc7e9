import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServe, VigilProcess } from '../helpers/agent-process.js';
import { bundleDocument, fixture, processEvent, type Fixture } from '../unit/agent/fixture.js';

/**
 * The agent as users run it: real `vigil serve` and `vigil agent` child processes, a real state
 * directory, events on stdin, alerts on stdout. Server down at start and midway: the
 * last-known-good keeps running.
 */

const WHOAMI = JSON.stringify(processEvent('whoami.exe'));
const running: VigilProcess[] = [];
let f: Fixture;

/** Starts an agent reading events from stdin. */
function agent(server: string, state: string, extra: readonly string[] = []): VigilProcess {
  const p = new VigilProcess(['agent', '--server', server, '--trust', f.trustFile, '--state', state, '--group', 'g1', '--host', 'h1', '--interval', '300ms', '--timeout', '2s', '--events', '-', ...extra]);
  running.push(p);
  return p;
}

/** Digest of the bundle the state's pointer names as current. */
async function activeDigest(state: string): Promise<string | undefined> {
  const pointer = JSON.parse(await readFile(path.join(state, 'active.json'), 'utf8')) as { current?: { sha256: string } };
  return pointer.current?.sha256;
}

beforeAll(async () => {
  f = await fixture('vigil-agent-e2e-');
  await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'v1' }) }, { group: 'g2', document: bundleDocument('g2') }]);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
});
afterAll(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
});

describe('vigil agent', () => {
  it('pulls, verifies, self-tests and activates its group\'s bundle, then prints alerts as JSON Lines', async () => {
    const { proc: server, url } = await startServe(f.out);
    running.push(server);
    const state = path.join(f.dir, 'state-basic');
    const a = agent(url, state);
    await a.waitFor(/activated bundle/);
    a.write(WHOAMI);
    a.write('{not json');
    a.write(JSON.stringify(processEvent('chrome.exe')));
    a.write(WHOAMI);
    const line = await a.waitFor(/"event":3/, 10_000, 'stdout');
    const alerts = a.stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { rule: string; event: number; host: string });
    expect(alerts.map((x) => x.event)).toEqual([0, 3]);
    expect(alerts[0]).toMatchObject({ rule: '37616311-889e-4039-b6b8-6db75eae7fff', host: 'h1', type: 'detection' });
    expect(line).toContain('"bundle"');
    // stderr is its own pipe: the warning may arrive after the alerts on stdout.
    expect(await a.waitFor(/event 1 skipped/, 10_000, 'stderr')).toMatch(/warning: event 1 skipped/);
    // The status endpoint shows the host with its active bundle.
    await a.waitFor(/./);
    const fleet = await (await fetch(`${url}status`)).json() as { hosts: { host: string; bundle?: { digest: string }; selfTest: string; drift: boolean }[] };
    const h1 = fleet.hosts.find((h) => h.host === 'h1');
    expect(h1?.bundle?.digest).toBe(await activeDigest(state));
    expect(h1?.selfTest).toBe('passed');
    expect(h1?.drift).toBe(false);
    expect((await a.stop('SIGTERM')).code).toBe(0);
  });

  it('resumes the active bundle after a restart when the server is down from the start', async () => {
    const { proc: server, url } = await startServe(f.out);
    running.push(server);
    const state = path.join(f.dir, 'state-down-start');
    const first = agent(url, state);
    await first.waitFor(/activated bundle/);
    await first.stop('SIGTERM');
    await server.stop('SIGKILL');
    const a = agent(url, state);
    await a.waitFor(/resumed active bundle/);
    a.write(WHOAMI);
    await a.waitFor(/"rule":"37616311/, 10_000, 'stdout');
    // It keeps retrying with backoff and says why, without giving up or crashing.
    await a.waitFor(/error\[VT3001\]: origin unreachable/);
    expect(a.stderr.join('\n')).not.toMatch(/VG9000|at .*\.js:\d+/);
  });

  it('keeps running its last-known-good when the server goes away midway', async () => {
    const { proc: server, url } = await startServe(f.out);
    running.push(server);
    const state = path.join(f.dir, 'state-down-midway');
    const a = agent(url, state);
    await a.waitFor(/activated bundle/);
    await server.stop('SIGKILL');
    await a.waitFor(/VT3001/);
    a.write(WHOAMI);
    await a.waitFor(/"rule":"37616311/, 10_000, 'stdout');
    expect(a.count(/"type":"detection"/)).toBe(1);
  });

  it('without any bundle, waits for one instead of failing, and starts evaluating once it arrives', async () => {
    const state = path.join(f.dir, 'state-never');
    const a = agent('http://127.0.0.1:9/', state);
    a.write(WHOAMI);
    await a.waitFor(/VT3001/);
    expect(a.count(/"type":"detection"/)).toBe(0);
    const { proc: server, url } = await startServe(f.out);
    running.push(server);
    const b = agent(url, state);
    b.write(WHOAMI);
    await b.waitFor(/"rule":"37616311/, 10_000, 'stdout');
  });

  it('rejects bad usage with exit 2', async () => {
    const p = new VigilProcess(['agent', '--server', 'ftp://x', '--trust', f.trustFile, '--state', f.dir, '--group', 'g1']);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr.join('\n')).toMatch(/--server must be/);
  });
});
