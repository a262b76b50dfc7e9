import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from '../../runtime/bundle/repo-files.js';
import type { BundleDocument } from '../../runtime/bundle/envelope.js';
import { resolveRulePacks } from '../../runtime/bundle/rule-packs.js';
import { runCli, REPO_ROOT } from '../helpers/cli.js';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.js';

/** `vigil compile` through the real CLI, on real git repositories in temporary directories. */

const rule = (id: string, title: string, image: string, extra = '') => `title: ${title}
id: ${id}
status: test
logsource:
  category: process_creation
  product: windows
detection:
  selection:
    Image|endswith: '${image}'${extra}
  condition: selection
level: medium
`;

const WHOAMI = '11111111-1111-4111-8111-111111111111';
const IPCONFIG = '22222222-2222-4222-8222-222222222222';
const SEALED = `-----BEGIN AGE ENCRYPTED FILE-----
YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSB3eFpZb2JGN0M0Y0VybjRk
-----END AGE ENCRYPTED FILE-----
`;

const group = (name: string, pkg: string, extra = '') => `apiVersion: vigil/v1
kind: HostGroup
metadata:
  name: ${name}
spec:
  hosts: [${name}-host]
  packages: [${pkg}]${extra}
---
apiVersion: vigil/v1
kind: Host
metadata:
  name: ${name}-host
spec:
  hostname: ${name}-host
`;

const pkg = (name: string, ids: readonly string[], tests = '') => `apiVersion: vigil/v1
kind: Package
metadata:
  name: ${name}
spec:
  version: 1.0.0
  rules:
    ids: [${ids.join(', ')}]${tests}
`;

/** A small repository: two groups with different packages, a sealed credential for one of them. */
const FILES: Record<string, string> = {
  'rules/whoami.yml': rule(WHOAMI, 'Whoami', '\\whoami.exe'),
  'rules/ipconfig.yml': rule(IPCONFIG, 'Ipconfig', '\\ipconfig.exe'),
  'packages/recon.yaml': pkg('recon', [WHOAMI], `
  tests:
    - name: whoami is seen once
      rule: ${WHOAMI}
      events:
        - { Channel: Microsoft-Windows-Sysmon/Operational, EventID: 1, Image: 'C:\\Windows\\System32\\whoami.exe' }
        - { Channel: Microsoft-Windows-Sysmon/Operational, EventID: 1, Image: 'C:\\Windows\\System32\\notepad.exe' }
      expectMatches: 1`),
  'packages/network.yaml': pkg('network', [IPCONFIG]),
  'host-groups/workstations.yaml': group('workstations', 'recon'),
  'host-groups/servers.yaml': group('servers', 'network'),
  'credentials/hec.yaml': `apiVersion: vigil/v1
kind: Credential
metadata:
  name: hec
spec:
  type: hec-token
  hostGroups: [servers]
  hecToken:
    token: |
${SEALED.split('\n').map((l) => `      ${l}`).join('\n')}`,
};

let repo: GitRepo;
let keys: string;

function vigil(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(args, { cwd: repo.dir, env });
}

/** Every file of OUT with its bytes, for byte-for-byte comparison. */
async function snapshot(out: string): Promise<Map<string, string>> {
  const files = await listFiles(out);
  return new Map(files.map((f) => [f, readFileSync(path.join(out, f)).toString('base64')]));
}

/** A group's bundle with its rule packs' rules put back in `content.rules`, as an agent sees it. */
function bundle(out: string, g: string): { features: string[]; content: Record<string, unknown>; group: string; irVersion: number } {
  const doc = JSON.parse(readFileSync(path.join(out, 'targets/groups', g, 'bundle.json'), 'utf8')) as BundleDocument;
  const resolved = resolveRulePacks(doc, (sha) => new Uint8Array(readFileSync(path.join(out, 'targets/packs', sha))));
  if (typeof resolved === 'string') throw new Error(resolved);
  return resolved as never;
}

beforeAll(async () => {
  repo = await createGitRepo('vigil-compile-');
  await repo.commit('policies', FILES);
  keys = mkdtempSync(path.join(os.tmpdir(), 'vigil-compile-keys-'));
  expect((await runCli(['keygen', '--out', 'ci'], { cwd: keys })).code).toBe(0);
  expect((await runCli(['trust', 'init', '--keys', 'ci.key', '--out', 'root.json'], { cwd: keys })).code).toBe(0);
}, 60_000);

afterAll(() => {
  repo?.remove();
  if (keys) rmSync(keys, { recursive: true, force: true });
});

const sign = () => ['--key', path.join(keys, 'ci.key'), '--trust', path.join(keys, 'root.json')];

describe('vigil compile', () => {
  it('writes a repository that `vigil verify` accepts, one bundle per group, and prints each bundle', async () => {
    const r = await vigil(['compile', '.', '--out', 'out', ...sign()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/workstations\s+out\/targets\/groups\/workstations\/bundle\.json\s+sha256:[0-9a-f]{64}\s+1 rule/);
    const v = await vigil(['verify', 'out', '--trust', path.join(keys, 'root.json')]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain('2 bundle(s)');
  });

  it('gives byte-identical output when compiled twice, and for --ref HEAD of the same tree', async () => {
    await vigil(['compile', '.', '--out', 'a', ...sign()]);
    await vigil(['compile', '.', '--out', 'b', ...sign()]);
    const ref = await vigil(['compile', '.', '--ref', 'HEAD', '--out', 'c', ...sign()]);
    expect(ref.code, ref.stderr).toBe(0);
    const a = await snapshot(path.join(repo.dir, 'a'));
    expect(a.size).toBeGreaterThan(5);
    expect(await snapshot(path.join(repo.dir, 'b'))).toEqual(a);
    expect(await snapshot(path.join(repo.dir, 'c'))).toEqual(a);
  });

  it('gives each group only its own content, with features, self-tests and sealed credentials', async () => {
    const out = path.join(repo.dir, 'out');
    const ws = bundle(out, 'workstations');
    const sv = bundle(out, 'servers');
    expect(ws.group).toBe('workstations');
    expect(ws.irVersion).toBe(1);
    expect((ws.content.rules as { id: string }[]).map((x) => x.id)).toEqual([WHOAMI]);
    expect(ws.features).toContain('rule-packs');
    const packsOf = (g: string) => (JSON.parse(readFileSync(path.join(out, 'targets/groups', g, 'bundle.json'), 'utf8')) as { content: { rulePacks: { path: string }[] } }).content.rulePacks.map((p) => p.path);
    expect(packsOf('workstations')).toHaveLength(1);
    expect(packsOf('workstations')).not.toEqual(packsOf('servers'));
    expect((sv.content.rules as { id: string }[]).map((x) => x.id)).toEqual([IPCONFIG]);
    expect(ws.content.selfTests).toEqual([{ name: 'recon: whoami is seen once', rule: WHOAMI, events: expect.any(Array), match: 1 }]);
    expect(ws.features).toContain('self-test');
    expect(ws.content.credentials).toEqual({});
    expect(Object.keys(sv.content.credentials as object)).toEqual(['hec']);
    expect(sv.features).toContain('credential.sealed');
    expect(JSON.stringify(sv.content.credentials)).toContain('BEGIN AGE ENCRYPTED FILE');
  });

  it('never writes a plaintext secret: a literal token stops the build and the value is in no output', async () => {
    const secret = 'hunter2-super-secret-value';
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-compile-plain-'));
    try {
      for (const [f, text] of Object.entries(FILES)) {
        const abs = path.join(dir, f);
        await import('node:fs').then((fs) => fs.mkdirSync(path.dirname(abs), { recursive: true }));
        writeFileSync(abs, f === 'credentials/hec.yaml' ? text.replace(/token: \|[\s\S]*$/, `token: ${secret}\n`) : text);
      }
      const r = await runCli(['compile', '.', '--out', 'out', ...sign()], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('VG4006');
      expect(r.stdout + r.stderr).not.toContain(secret);
      expect(await listFiles(path.join(dir, 'out'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('publishes a new version when a rule changes: the bundle digest differs and the old one is replaced', async () => {
    const before = await snapshot(path.join(repo.dir, 'out'));
    await repo.commit('tighten whoami', { 'rules/whoami.yml': rule(WHOAMI, 'Whoami run by anyone', '\\whoami.exe') });
    const r = await vigil(['compile', '.', '--out', 'out', ...sign()]);
    expect(r.code, r.stderr).toBe(0);
    const after = await snapshot(path.join(repo.dir, 'out'));
    expect(after.get('targets/groups/workstations/bundle.json')).not.toEqual(before.get('targets/groups/workstations/bundle.json'));
    const targets = JSON.parse(readFileSync(path.join(repo.dir, 'out/targets.json'), 'utf8')) as { signed: { version: number } };
    expect(targets.signed.version).toBe(2);
    expect((await vigil(['verify', 'out', '--trust', path.join(keys, 'root.json')])).code).toBe(0);
  });

  it('refuses content that the group\'s minimum agent version cannot run (VG5001), writing nothing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-compile-old-'));
    try {
      const fs = await import('node:fs');
      const files = { ...FILES, 'host-groups/workstations.yaml': group('workstations', 'recon', '\n  minAgentVersion: 0.0.9') };
      for (const [f, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        writeFileSync(path.join(dir, f), text);
      }
      const r = await runCli(['compile', '.', '--out', 'out', '--format', 'json', ...sign()], { cwd: dir });
      expect(r.code).toBe(1);
      const diags = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { code: string; file: string; line: number });
      expect(diags.filter((d) => d.code === 'VG5001').map((d) => d.file)).toContain('host-groups/workstations.yaml');
      expect(diags.find((d) => d.code === 'VG5001')?.line).toBe(8);
      expect(await listFiles(path.join(dir, 'out'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compiles examples/msp (events files embedded as self-tests), and a failing package test stops the build', async () => {
    const r = await runCli(['compile', 'examples/msp', '--out', path.join(keys, 'msp'), ...sign()], { cwd: REPO_ROOT });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('msp-collectors');
    const msp = JSON.parse(readFileSync(path.join(keys, 'msp/targets/groups/contoso-workstations/bundle.json'), 'utf8')) as { content: { selfTests: { events: unknown[] }[] } };
    expect(msp.content.selfTests.some((t) => t.events.length > 5)).toBe(true);
    await repo.commit('wrong expectation', { 'packages/recon.yaml': FILES['packages/recon.yaml']!.replace('expectMatches: 1', 'expectMatches: 3') });
    const bad = await vigil(['compile', '.', '--out', 'bad', ...sign()]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error\[VG(6020|5002)\]/);
  });

  it('reports usage errors with exit 2 and a missing trust root as VG5012', async () => {
    await repo.commit('fix expectation', { 'packages/recon.yaml': FILES['packages/recon.yaml']! });
    expect((await vigil(['compile', '.'])).code).toBe(2);
    expect((await vigil(['compile', '.', '--out', 'x', '--lifetime', 'root=1d'])).code).toBe(2);
    const noTrust = await vigil(['compile', '.', '--out', 'fresh', '--key', path.join(keys, 'ci.key')]);
    expect(noTrust.code).toBe(1);
    expect(noTrust.stderr).toContain('VG5012');
  });
});
