import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { VigilProcess } from '../helpers/agent-process.js';
import { bundleDocument, fixture, processEvent, type Fixture } from '../unit/agent/fixture.js';

/**
 * An OCI registry as the distribution point, against a real registry: Debian's docker-registry
 * (CNCF distribution), started here on 127.0.0.1 with a temporary storage directory. `vigil
 * publish` pushes the repository, `vigil agent --server oci://…` pulls and verifies it exactly as
 * over HTTP, and a blob tampered inside the registry's storage is refused.
 */

const REGISTRY = process.env.VIGIL_DOCKER_REGISTRY ?? '/usr/bin/docker-registry';
let f: Fixture;
let registry: ChildProcess | undefined;
let address: string;
const running: VigilProcess[] = [];

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  if (!existsSync(REGISTRY)) {
    throw new Error(`the OCI tests need Debian's docker-registry at ${REGISTRY}: apt-get install -y docker-registry (.ci/run installs it)`);
  }
  f = await fixture('vigil-oci-');
  await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'v1' }) }]);
  const storage = path.join(f.dir, 'registry');
  await mkdir(storage);
  const port = await freePort();
  address = `127.0.0.1:${port}`;
  const config = path.join(f.dir, 'registry.yml');
  await writeFile(config, [
    'version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:', `    rootdirectory: ${storage}`, '  delete:', '    enabled: true',
    'http:', `  addr: ${address}`, '',
  ].join('\n'));
  registry = spawn(REGISTRY, ['serve', config], { stdio: 'ignore' });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`http://${address}/v2/`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error('docker-registry did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
  if (registry?.pid !== undefined) {
    registry.kill('SIGTERM');
    await new Promise((r) => registry?.once('exit', r));
  }
  if (f) await rm(f.dir, { recursive: true, force: true });
});

function agent(ref: string, state: string): VigilProcess {
  const p = new VigilProcess(['agent', '--server', `oci://${ref}`, '--trust', f.trustFile, '--state', path.join(f.dir, state), '--group', 'g1', '--host', 'h1', '--interval', '300ms', '--timeout', '3s', '--events', '-']);
  running.push(p);
  return p;
}

describe('OCI distribution', () => {
  it('publishes the repository and an agent pulls, verifies and runs it, and follows a new push', async () => {
    const ref = `${address}/vigil/policy:main`;
    const pushed = await runCli(['publish', f.out, '--oci', ref]);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(/published .* \(\d+ files, manifest sha256:[0-9a-f]{64}\)/);
    const manifest = await (await fetch(`http://${address}/v2/vigil/policy/manifests/main`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).json() as { artifactType: string; layers: { annotations: Record<string, string> }[] };
    expect(manifest.artifactType).toBe('application/vnd.vigil.repository.v1');
    expect(manifest.layers.map((l) => l.annotations['org.opencontainers.image.title'])).toContain('targets/groups/g1/bundle.json');

    const a = agent(ref, 'state-oci');
    await a.waitFor(/activated bundle ([0-9a-f]{12})/);
    a.write(JSON.stringify(processEvent('whoami.exe')));
    await a.waitFor(/"rule":"37616311/, 10_000, 'stdout');

    await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'v2' }) }]);
    expect((await runCli(['publish', f.out, '--oci', ref])).code).toBe(0);
    await a.waitFor(/activated bundle .*\(version 2\)/);
  });

  it('refuses a bundle tampered inside the registry and keeps the previous one', async () => {
    const ref = `${address}/vigil/tampered:main`;
    await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'v3' }) }]);
    expect((await runCli(['publish', f.out, '--oci', ref])).code).toBe(0);
    const a = agent(ref, 'state-tampered');
    await a.waitFor(/activated bundle/);
    // A new push whose bundle blob is then altered in the registry's own storage.
    await f.publish([{ group: 'g1', document: bundleDocument('g1', { marker: 'v4' }) }]);
    expect((await runCli(['publish', f.out, '--oci', ref])).code).toBe(0);
    const targets = JSON.parse(await readFile(path.join(f.out, 'targets.json'), 'utf8')) as { signed: { targets: Record<string, { hashes: { sha256: string } }> } };
    const digest = targets.signed.targets['groups/g1/bundle.json']?.hashes.sha256 as string;
    const blob = path.join(f.dir, 'registry/docker/registry/v2/blobs/sha256', digest.slice(0, 2), digest, 'data');
    const bytes = await readFile(blob);
    bytes[bytes.indexOf('v4')] = 'w'.charCodeAt(0);
    await writeFile(blob, bytes);
    await a.waitFor(/error\[VR1001\]/);
    a.write(JSON.stringify(processEvent('whoami.exe')));
    await a.waitFor(/"rule":"37616311/, 10_000, 'stdout');
    expect(a.stderr.filter((l) => /activated bundle/.test(l))).toHaveLength(1);
  });

  it('publishes to a registry named in upper case (host names are compared as origins)', async () => {
    const pushed = await runCli(['publish', f.out, '--oci', `${address.replace('127.0.0.1', 'LOCALHOST')}/vigil/upper:main`]);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
  });

  it('rejects a malformed reference with exit 2', async () => {
    const r = await runCli(['publish', f.out, '--oci', 'not a ref']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not an OCI reference/);
  });
});
