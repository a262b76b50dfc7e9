import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listFiles } from '../../runtime/bundle/repo-files.js';
import { startServe, VigilProcess } from '../helpers/agent-process.js';
import { bundleDocument, fixture, processEvent, WHOAMI_ID, type Fixture } from '../unit/agent/fixture.js';

/**
 * Every fault of issue 6, each with real processes: a tampered bundle or metadata file, a bundle
 * whose self-test fails, a stalling, trickling or endless server, kill -9 during activation, a
 * corrupt and a full state directory. In each, the agent survives, says why, and the bundle it
 * ran before keeps running.
 */

const WHOAMI = JSON.stringify(processEvent('whoami.exe'));
const running: VigilProcess[] = [];
const servers: http.Server[] = [];
let f: Fixture;
let v1: string;

function agent(server: string, state: string, extra: readonly string[] = []): VigilProcess {
  const p = new VigilProcess(['agent', '--server', server, '--trust', f.trustFile, '--state', state, '--group', 'g1', '--host', 'h1', '--interval', '300ms', '--timeout', '2s', '--events', '-', ...extra]);
  running.push(p);
  return p;
}

/** The signed digest of group g1's bundle in a repository. */
async function bundleDigest(out: string): Promise<string> {
  const targets = JSON.parse(await readFile(path.join(out, 'targets.json'), 'utf8')) as { signed: { targets: Record<string, { hashes: { sha256: string } }> } };
  return targets.signed.targets['groups/g1/bundle.json']?.hashes.sha256 as string;
}

/** Copies a staged repository over OUT, timestamp.json last, as a publisher would. */
async function sync(stage: string, out: string): Promise<void> {
  const files = await listFiles(stage);
  for (const rel of [...files.filter((r) => r !== 'timestamp.json'), 'timestamp.json']) {
    await mkdir(path.dirname(path.join(out, rel)), { recursive: true });
    await cp(path.join(stage, rel), path.join(out, rel));
  }
}

/** Publishes a new bundle for g1 into a copy of OUT, lets `edit` damage it, then puts it in place. */
async function publishDamaged(name: string, document: object, edit: (stage: string) => Promise<void>): Promise<string> {
  const stage = path.join(f.dir, `stage-${name}`);
  await rm(stage, { recursive: true, force: true });
  await cp(f.out, stage, { recursive: true });
  await f.publish([{ group: 'g1', document }], { out: stage });
  const digest = await bundleDigest(stage);
  await edit(stage);
  await sync(stage, f.out);
  return digest;
}

/** A state directory where v1 is active, made by a real agent run. */
async function primedState(name: string): Promise<string> {
  const state = path.join(f.dir, `state-${name}`);
  const { proc, url } = await startServe(f.out);
  running.push(proc);
  const a = agent(url, state);
  await a.waitFor(/activated bundle/);
  await a.stop('SIGTERM');
  await proc.stop('SIGKILL');
  return state;
}

/** Writes an event and waits for its alert; returns the bundle prefix the alert names. */
async function alertBundle(a: VigilProcess): Promise<string> {
  const before = a.count(/"type":"detection"/);
  a.write(WHOAMI);
  const deadline = Date.now() + 10_000;
  while (a.count(/"type":"detection"/) === before) {
    if (Date.now() > deadline) throw new Error(`no alert\n${a.stderr.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const last = a.stdout.filter((l) => l.includes('"type":"detection"')).at(-1) as string;
  return (JSON.parse(last) as { bundle: string }).bundle;
}

/** A local server with custom behaviour, on 127.0.0.1. */
async function customServer(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
}

const dirs: string[] = [];
beforeEach(async () => {
  // Each fault damages its own repository.
  f = await fixture('vigil-agent-faults-');
  dirs.push(f.dir);
  await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'v1' }) }]);
  v1 = await bundleDigest(f.out);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('agent faults', () => {
  it('refuses a tampered bundle on the server and keeps running the previous one', async () => {
    const state = await primedState('tampered-bundle');
    const { proc, url } = await startServe(f.out);
    running.push(proc);
    const a = agent(url, state);
    await a.waitFor(/resumed active bundle/);
    await publishDamaged('tampered-bundle', bundleDocument('g1', { marker: 'v2' }), async (stage) => {
      const file = path.join(stage, 'targets/groups/g1/bundle.json');
      const bytes = await readFile(file);
      const at = bytes.indexOf('"marker":"v2"');
      expect(at).toBeGreaterThan(0);
      bytes[at + 11] = 'w'.charCodeAt(0);
      await writeFile(file, bytes);
    });
    await a.waitFor(/error\[VR1001\]/);
    expect(await alertBundle(a)).toBe(v1.slice(0, 12));
    expect(a.stderr.join('\n')).not.toMatch(/activated bundle/);
  });

  it('refuses tampered metadata on the server and keeps running the previous bundle', async () => {
    const state = await primedState('tampered-metadata');
    const { proc, url } = await startServe(f.out);
    running.push(proc);
    const a = agent(url, state);
    await a.waitFor(/resumed active bundle/);
    await publishDamaged('tampered-metadata', bundleDocument('g1', { marker: 'v3' }), async (stage) => {
      // A byte of a signed length in targets.json: the signature no longer matches.
      const file = path.join(stage, 'targets.json');
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.replace(/"length":(\d)/, (_m, d: string) => `"length":${(Number(d) + 1) % 10}`));
    });
    await a.waitFor(/error\[VR10\d\d\]/);
    expect(await alertBundle(a)).toBe(v1.slice(0, 12));
  });

  it('refuses a bundle whose self-test fails, reports it, and never retries it', async () => {
    const state = await primedState('self-test');
    const { proc, url } = await startServe(f.out);
    running.push(proc);
    const a = agent(url, state);
    await a.waitFor(/resumed active bundle/);
    const bad = bundleDocument('g1', { marker: 'v4', selfTest: [{ name: 'whoami must not alert', rule: WHOAMI_ID, events: [processEvent('whoami.exe')], match: false }] });
    const digest = await publishDamaged('self-test', bad, async () => undefined);
    await a.waitFor(/error\[VA2003\]/);
    expect(await alertBundle(a)).toBe(v1.slice(0, 12));
    await new Promise((r) => setTimeout(r, 1000));
    expect(a.count(/error\[VA2003\]/, 'stderr')).toBe(1);
    const fleet = await (await fetch(`${url}status`)).json() as { hosts: { refused?: { digest: string; code: string }; drift: boolean }[] };
    expect(fleet.hosts[0]?.refused).toMatchObject({ digest, code: 'VA2003' });
    expect(fleet.hosts[0]?.drift).toBe(true);
  });

  it('gives up on a server that accepts and never answers, and keeps running', async () => {
    const state = await primedState('stall');
    const url = await customServer(() => undefined);
    const a = agent(url, state);
    await a.waitFor(/resumed active bundle/);
    await a.waitFor(/VT3001.*(went silent|no complete answer)/, 10_000);
    expect(await alertBundle(a)).toBe(v1.slice(0, 12));
  });

  it('stops reading an endless download at its size cap', async () => {
    const state = await primedState('endless');
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const url = await customServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const pump = () => {
        while (res.write(chunk)) if (res.destroyed) return;
      };
      res.on('drain', pump);
      pump();
    });
    const a = agent(url, state);
    await a.waitFor(/VT3001.*more than the 16384 bytes allowed/, 10_000);
    expect(await alertBundle(a)).toBe(v1.slice(0, 12));
  });

  it('times out a bundle download that trickles, and keeps the previous bundle', async () => {
    const state = await primedState('trickle');
    await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'v5' }) }]);
    const url = await customServer((req, res) => {
      const rel = (req.url ?? '/').slice(1);
      void readFile(path.join(f.out, ...rel.split('/'))).then((bytes) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        if (!rel.endsWith('bundle.json')) return res.end(bytes);
        let i = 0;
        const timer = setInterval(() => {
          if (res.destroyed || i >= bytes.length) return clearInterval(timer);
          res.write(bytes.subarray(i, i + 16));
          i += 16;
        }, 200);
      }, () => {
        res.writeHead(404);
        res.end();
      });
    });
    const a = agent(url, state);
    await a.waitFor(/VT3001.*no complete answer within 2000 ms/, 15_000);
    expect(await alertBundle(a)).toBe(v1.slice(0, 12));
  });

  it('after kill -9 during activation, restarts on the old or the new bundle, never a mix', async () => {
    const outcomes = new Set<string>();
    for (const [i, step] of ['writing bundle', 'switching pointer', 'writing bundle'].entries()) {
      const state = await primedState(`kill-${i}`);
      const old = await bundleDigest(f.out);
      await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: `big-${i}`, padding: 8 << 20 }) }]);
      const fresh = await bundleDigest(f.out);
      const { proc, url } = await startServe(f.out);
      running.push(proc);
      const a = agent(url, state);
      await a.waitFor(new RegExp(`activation: ${step}`), 20_000);
      if (i === 2) await new Promise((r) => setTimeout(r, 15));
      await a.stop('SIGKILL');
      await proc.stop('SIGKILL');
      const b = agent('http://127.0.0.1:9/', state);
      const resumed = await b.waitFor(/resumed active bundle ([0-9a-f]{12})/);
      const prefix = /bundle ([0-9a-f]{12})/.exec(resumed)?.[1] as string;
      expect([old.slice(0, 12), fresh.slice(0, 12)]).toContain(prefix);
      outcomes.add(prefix === old.slice(0, 12) ? 'old' : 'new');
      expect(await alertBundle(b)).toBe(prefix);
      expect(b.stderr.join('\n')).not.toMatch(/VA2005/);
      await b.stop('SIGKILL');
    }
    expect(outcomes.size).toBeGreaterThan(0);
  }, 120_000);

  it('recovers from a corrupt state directory by pulling again, and says what was wrong', async () => {
    const state = await primedState('corrupt');
    await writeFile(path.join(state, 'active.json'), '{"current": {"sha256": "trunc');
    await writeFile(path.join(state, 'metadata', 'timestamp.json'), Buffer.from([0xff, 0x00, 0x13]));
    await writeFile(path.join(state, 'metadata', 'root.json'), 'garbage');
    const { proc, url } = await startServe(f.out);
    running.push(proc);
    const a = agent(url, state);
    await a.waitFor(/error\[VA2005\]: `active.json` is unreadable/);
    await a.waitFor(/activated bundle/);
    expect(await alertBundle(a)).toBe((await bundleDigest(f.out)).slice(0, 12));
  });

  it('falls back to the last-known-good when the active bundle file is damaged', async () => {
    const state = await primedState('damaged-active');
    const old = await bundleDigest(f.out);
    await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'v6' }) }]);
    const { proc, url } = await startServe(f.out);
    running.push(proc);
    const a = agent(url, state);
    await a.waitFor(/activated bundle/);
    await a.stop('SIGTERM');
    await proc.stop('SIGKILL');
    const fresh = await bundleDigest(f.out);
    await writeFile(path.join(state, 'bundles', `${fresh}.json`), '{"irVersion":1');
    const b = agent('http://127.0.0.1:9/', state);
    await b.waitFor(/the active bundle [0-9a-f]{12} is missing or damaged/);
    await b.waitFor(/resumed last-known-good bundle/);
    expect(await alertBundle(b)).toBe(old.slice(0, 12));
  });

  it('keeps the previous bundle when the state directory is full', async () => {
    const mount = path.join(f.dir, 'small-disk');
    await mkdir(mount, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount]);
    } catch (error) {
      throw new Error(`this test needs a small tmpfs for the full disk (run as root, as CI does): ${(error as Error).message}`);
    }
    try {
      const state = path.join(mount, 'state');
      const { proc, url } = await startServe(f.out);
      running.push(proc);
      const a = agent(url, state);
      await a.waitFor(/activated bundle/);
      const before = await bundleDigest(f.out);
      await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'v7', padding: 2 << 20 }) }]);
      await a.waitFor(/error\[VA2005\].*(ENOSPC|no space)/i, 15_000);
      expect(await alertBundle(a)).toBe(before.slice(0, 12));
      await a.stop('SIGKILL');
    } finally {
      await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
      execFileSync('umount', ['-l', mount]);
    }
  });
});
