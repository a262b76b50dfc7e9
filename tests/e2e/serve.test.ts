import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServe, VigilProcess } from '../helpers/agent-process.js';
import { bundleDocument, fixture, processEvent, WHOAMI_ID, type Fixture } from '../unit/agent/fixture.js';

/**
 * `vigil serve` over real HTTP: strong ETags and If-None-Match, the status endpoint and its
 * input checks, new publishes picked up, HTTPS, and rollout rings with real agents: the canary
 * takes a new bundle first, the next ring only after the canary ran it healthily for its soak
 * time, and a bundle the canary refuses never goes further.
 */

const running: VigilProcess[] = [];
let f: Fixture;

interface Fleet {
  hosts: { host: string; bundle?: { digest: string }; approved?: string; drift: boolean; assignedRing?: string; alive: boolean }[];
  groups: Record<string, { latest: string; rings?: { name: string; digest: string }[] }>;
}

async function fleet(url: string): Promise<Fleet> {
  return (await (await fetch(`${url}status`)).json()) as Fleet;
}

async function digestOf(url: string): Promise<string> {
  const targets = (await (await fetch(`${url}targets.json`)).json()) as { signed: { targets: Record<string, { hashes: { sha256: string } }> } };
  return targets.signed.targets['groups/g1/bundle.json']?.hashes.sha256 as string;
}

/** Polls until `check` holds; fails with `what` after the timeout. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function agent(url: string, host: string, extra: readonly string[] = []): VigilProcess {
  const p = new VigilProcess(['agent', '--server', url, '--trust', f.trustFile, '--state', path.join(f.dir, `state-${host}`), '--group', 'g1', '--host', host, '--interval', '300ms', '--timeout', '2s', ...extra]);
  running.push(p);
  return p;
}

const hostDigest = async (url: string, host: string) => (await fleet(url)).hosts.find((h) => h.host === host)?.bundle?.digest;

beforeAll(async () => {
  f = await fixture('vigil-serve-');
  await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'v1' }) }]);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
});
afterAll(async () => {
  await rm(f.dir, { recursive: true, force: true });
});

describe('vigil serve', () => {
  it('serves the repository with strong ETags and answers If-None-Match with 304', async () => {
    const { proc, url } = await startServe(f.out);
    running.push(proc);
    const first = await fetch(`${url}timestamp.json`);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const again = await fetch(`${url}timestamp.json`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await fetch(`${url}targets/groups/g1/bundle.json`)).status).toBe(200);
    expect((await fetch(`${url}..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
    expect((await fetch(`${url}nothing.json`)).status).toBe(404);
    expect((await fetch(`${url}timestamp.json`, { method: 'DELETE' })).status).toBe(405);
    // A new publish is picked up: the ETag changes and the old one no longer matches.
    await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'v1b' }) }]);
    await until('new release served', async () => (await fetch(`${url}timestamp.json`, { headers: { 'if-none-match': etag } })).status === 200);
  });

  it('checks status reports: malformed is 400, oversized is 413, valid ones show up in GET /status', async () => {
    const { proc, url } = await startServe(f.out);
    running.push(proc);
    const post = (body: string) => fetch(`${url}status`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect((await post('{nope')).status).toBe(400);
    expect((await post(JSON.stringify({ host: '../x', group: 'g1' }))).status).toBe(400);
    expect((await post('x'.repeat(70_000))).status).toBe(413);
    const report = {
      host: 'ws-1', group: 'g1', state: 'running', selfTest: 'passed', errors: [{ code: 'VT3001', message: 'origin unreachable', at: new Date().toISOString() }],
      errorBurst: false, pollIntervalMs: 1000, agentVersion: '0.1.0', reportedAt: new Date().toISOString(),
      bundle: { version: 1, digest: 'a'.repeat(64), activatedAt: new Date().toISOString() },
    };
    expect((await post(JSON.stringify(report))).status).toBe(204);
    const state = await fleet(url);
    const host = state.hosts.find((h) => h.host === 'ws-1');
    expect(host).toMatchObject({ group: 'g1', alive: true, drift: true, approved: await digestOf(url) });
  });

  it('serves HTTPS with a certificate, and an agent pulls through it with --ca', async () => {
    const cert = path.join(f.dir, 'tls.pem');
    const key = path.join(f.dir, 'tls.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const { proc, url } = await startServe(f.out, ['--cert', cert, '--key', key]);
    running.push(proc);
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const a = agent(url, 'tls-1', ['--ca', cert, '--events', '-']);
    await a.waitFor(/activated bundle/);
    a.write(JSON.stringify(processEvent('whoami.exe')));
    await a.waitFor(/"rule":"37616311/, 10_000, 'stdout');
    // Without the CA the certificate is not trusted: reported, never accepted.
    const b = agent(url, 'tls-2');
    await b.waitFor(/VT3001.*(self-signed|certificate)/i);
  });

  it('stages a new bundle through rollout rings: canary first, the next ring after a healthy soak, never a refused bundle', async () => {
    const rollout = path.join(f.dir, 'rollout.yaml');
    await writeFile(rollout, [
      'apiVersion: vigil/v1', 'kind: Rollout', 'metadata:', '  name: staged', 'spec:', '  hostGroups: [g1]', '  rings:',
      '    - name: canary', '      hosts: [canary-1]', '      soak: 2s', '      gates:', '        selfTestPassed: true', '        maxErrorRate: 0',
      '    - name: broad', '      percentage: 100', '',
    ].join('\n'));
    const { proc, url } = await startServe(f.out, ['--rollout', rollout]);
    running.push(proc);
    const v1 = await digestOf(url);
    agent(url, 'canary-1');
    agent(url, 'broad-1');
    await until('both on v1', async () => (await hostDigest(url, 'canary-1')) === v1 && (await hostDigest(url, 'broad-1')) === v1);
    expect((await fleet(url)).hosts.map((h) => h.assignedRing).sort()).toEqual(['broad', 'canary']);

    await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'v2' }) }]);
    let v2 = '';
    await until('canary on v2', async () => {
      v2 = (await fleet(url)).groups.g1?.latest ?? '';
      return v2 !== v1 && (await hostDigest(url, 'canary-1')) === v2;
    });
    const canaryAt = Date.now();
    // The broad ring is still approved for v1 and runs it: no drift.
    const held = await fleet(url);
    expect(held.groups.g1?.rings?.map((r) => r.digest)).toEqual([v2, v1]);
    expect(held.hosts.find((h) => h.host === 'broad-1')).toMatchObject({ approved: v1, drift: false });
    await until('broad on v2', async () => (await hostDigest(url, 'broad-1')) === v2);
    expect(Date.now() - canaryAt).toBeGreaterThanOrEqual(1500);

    // v3 fails its self-test on the canary: it never reaches the broad ring.
    await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'v3', selfTest: [{ rule: WHOAMI_ID, events: [processEvent('whoami.exe')], match: false }] }) }]);
    await until('canary refused v3', async () => {
      const s = await fleet(url);
      const canary = s.hosts.find((h) => h.host === 'canary-1') as { refused?: { code: string } } | undefined;
      return canary?.refused?.code === 'VA2003';
    });
    await new Promise((r) => setTimeout(r, 3000));
    const after = await fleet(url);
    expect(after.groups.g1?.rings?.[1]?.digest).toBe(v2);
    expect(await hostDigest(url, 'broad-1')).toBe(v2);
    expect(await hostDigest(url, 'canary-1')).toBe(v2);
  }, 90_000);

  it('refuses an invalid rollout file with a clear error', async () => {
    const bad = path.join(f.dir, 'bad-rollout.yaml');
    await writeFile(bad, 'apiVersion: vigil/v1\nkind: Rollout\nmetadata:\n  name: x\nspec:\n  rings: []\n');
    const p = new VigilProcess(['serve', f.out, '--port', '0', '--rollout', bad]);
    expect((await p.exited).code).toBe(1);
    expect(p.stderr.join('\n')).toMatch(/Rollout is invalid/);
  });
});
