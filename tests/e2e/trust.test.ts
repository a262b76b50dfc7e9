import { cp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSigningKey } from '../../runtime/bundle/keys.js';
import { parseRoot } from '../../runtime/bundle/metadata.js';
import { listFiles, readRepositoryState } from '../../runtime/bundle/repo-files.js';
import { runCli } from '../helpers/cli.js';
import { publish, tempDir } from '../unit/bundle/repo-fixture.js';

/** The trust workflow through the real CLI: keys, trust root, co-signing, refresh, rotation, verify, sealing. */

let dir: string;

/** Runs the CLI in the test directory. */
function vigil(...args: string[]) {
  return runCli(args, { cwd: dir });
}

/** Reads a private key file written by `vigil keygen`. */
async function signingKey(name: string) {
  return parseSigningKey(await readFile(path.join(dir, `${name}.key`), 'utf8'));
}

afterAll(() => rm(dir, { recursive: true, force: true }));

beforeAll(async () => {
  dir = await tempDir('vigil-trust-');
  for (const name of ['ci', 'approver', 'root2']) expect((await vigil('keygen', '--out', name)).code).toBe(0);
});

describe('vigil keygen', () => {
  it('writes a private key with mode 0600 and a public key, printing no key material', async () => {
    const r = await vigil('keygen', '--out', 'k1');
    expect(r.code, r.stderr).toBe(0);
    const priv = await readFile(path.join(dir, 'k1.key'), 'utf8');
    expect(priv).toContain('-----BEGIN PRIVATE KEY-----');
    if (process.platform !== 'win32') expect((await stat(path.join(dir, 'k1.key'))).mode & 0o777).toBe(0o600);
    const pub = JSON.parse(await readFile(path.join(dir, 'k1.pub'), 'utf8')) as { keyid: string; keytype: string };
    expect(pub.keytype).toBe('ed25519');
    expect(r.stdout).toContain(pub.keyid);
    const body = priv.split('\n').filter((l) => !l.startsWith('-----')).join('');
    expect(r.stdout + r.stderr).not.toContain(body.slice(10, 40));
  });

  it('writes an age identity for --kind agent and refuses to overwrite without --force', async () => {
    expect((await vigil('keygen', '--out', 'agent1', '--kind', 'agent')).code).toBe(0);
    expect(await readFile(path.join(dir, 'agent1.key'), 'utf8')).toMatch(/^# public key: age1\S+\nAGE-SECRET-KEY-1[0-9A-Z]+\n$/);
    expect(await readFile(path.join(dir, 'agent1.pub'), 'utf8')).toMatch(/^age1[0-9a-z]+\n$/);
    const again = await vigil('keygen', '--out', 'agent1', '--kind', 'agent');
    expect(again.code, again.stderr).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect((await vigil('keygen', '--out', 'x', '--kind', 'other')).code).toBe(2);
  });
});

describe('trust root, co-signing and verify', () => {
  it('CI plus a release approver: targets below threshold are refused until the approver signs', async () => {
    const init = await vigil('trust', 'init', '--keys', 'ci.key', '--targets-keys', 'ci.pub,approver.pub', '--targets-threshold', '2', '--out', 'root.json');
    expect(init.code, init.stderr).toBe(0);
    const root = parseRoot(await readFile(path.join(dir, 'root.json')));
    expect(root.signed.roles.targets?.threshold).toBe(2);
    expect(root.signed.roles.targets?.keyIDs).toHaveLength(2);

    const out = path.join(dir, 'out');
    await publish(out, { roots: [await readFile(path.join(dir, 'root.json'))], keys: [await signingKey('ci')] });
    const before = await vigil('verify', 'out', '--trust', 'root.json');
    expect(before.code, before.stderr).toBe(1);
    expect(before.stderr).toContain('refused[VR1004]');

    const sign = await vigil('sign', 'out', '--key', 'approver.key');
    expect(sign.code, sign.stderr).toBe(0);
    const after = await vigil('verify', 'out', '--trust', 'root.json');
    expect(after.stderr).toBe('');
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain('verified out: 2 bundle(s)');

    // A rebuild of the same content keeps the approver's signature (same version, same bytes).
    await publish(out, { roots: [await readFile(path.join(dir, 'root.json'))], keys: [await signingKey('ci')], commitTime: new Date(Date.now() - 3_600_000), previous: await readRepositoryState(out) });
    expect((await vigil('verify', 'out', '--trust', 'root.json')).code).toBe(1); // a new commit time is new content
  });

  it('refuses a bad threshold and an unreadable key with exit 1, never a stack trace', async () => {
    const bad = await vigil('trust', 'init', '--keys', 'ci.key', '--threshold', '3', '--out', 'bad.json');
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/threshold must be 1\.\.1/);
    const missing = await vigil('trust', 'init', '--keys', 'nope.key', '--out', 'bad.json');
    expect(missing.code, missing.stderr).toBe(1);
    expect(missing.stderr).toContain('nope.key');
    expect(bad.stderr + missing.stderr).not.toMatch(/\n\s+at /);
  });

  it('verifies one bundle, and refuses an unsigned extra file in OUT naming it', async () => {
    expect((await vigil('trust', 'init', '--keys', 'ci.key', '--out', 'single.json')).code).toBe(0);
    const out = path.join(dir, 'single');
    await publish(out, { roots: [await readFile(path.join(dir, 'single.json'))], keys: [await signingKey('ci')] });
    const one = await vigil('verify', 'single/targets/groups/g1/bundle.json', '--trust', 'single.json', '--group', 'g1');
    expect(one.stderr).toBe('');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain('g1  sha256:');
    await writeFile(path.join(out, 'notes.txt'), 'hello');
    const extra = await vigil('verify', 'single', '--trust', 'single.json');
    expect(extra.code, extra.stderr).toBe(1);
    expect(extra.stderr).toContain('refused[VR1013]: `notes.txt` is not covered by any signed metadata');
  });

  it('refreshes an expired timestamp with `vigil sign --refresh-timestamp`', async () => {
    const out = path.join(dir, 'stale');
    await publish(out, { roots: [await readFile(path.join(dir, 'single.json'))], keys: [await signingKey('ci')], commitTime: new Date(Date.now() - 9 * 86_400_000) });
    const stale = await vigil('verify', 'stale', '--trust', 'single.json');
    expect(stale.stderr).toContain('refused[VR1007]: `timestamp.json` expired');
    expect((await vigil('sign', 'stale', '--key', 'ci.key', '--refresh-timestamp')).code).toBe(0);
    expect((await vigil('verify', 'stale', '--trust', 'single.json')).code).toBe(0);
  });

  it('follows a rotated root chain from the pinned root', async () => {
    const r = await vigil('trust', 'rotate', '--trust', 'single.json', '--keys', 'root2.key', '--sign-with', 'ci.key', '--out', 'root-v2.json');
    expect(r.code, r.stderr).toBe(0);
    expect(parseRoot(await readFile(path.join(dir, 'root-v2.json'))).signed.version).toBe(2);
    const out = path.join(dir, 'rotated');
    await publish(out, { roots: [await readFile(path.join(dir, 'single.json')), await readFile(path.join(dir, 'root-v2.json'))], keys: [await signingKey('root2')] });
    expect(await listFiles(out)).toContain('2.root.json');
    const v = await vigil('verify', 'rotated', '--trust', 'single.json');
    expect(v.stderr).toBe('');
    expect(v.code, v.stderr).toBe(0);
  });

  it('builds byte-identical repositories from the same inputs', async () => {
    const trust = await readFile(path.join(dir, 'single.json'));
    const key = await signingKey('ci');
    const when = new Date('2026-01-02T03:04:05Z');
    await publish(path.join(dir, 'same-a'), { roots: [trust], keys: [key], commitTime: when });
    await publish(path.join(dir, 'same-b'), { roots: [trust], keys: [key], commitTime: when });
    const files = await listFiles(path.join(dir, 'same-a'));
    expect(await listFiles(path.join(dir, 'same-b'))).toEqual(files);
    for (const f of files) expect(await readFile(path.join(dir, 'same-b', f))).toEqual(await readFile(path.join(dir, 'same-a', f)));
    await cp(path.join(dir, 'same-a'), path.join(dir, 'same-c'), { recursive: true });
    await publish(path.join(dir, 'same-c'), { roots: [trust], keys: [key], commitTime: when, previous: await readRepositoryState(path.join(dir, 'same-c')) });
    for (const f of files) expect(await readFile(path.join(dir, 'same-c', f))).toEqual(await readFile(path.join(dir, 'same-a', f)));
  });
});

describe('vigil secret seal', () => {
  const PLAINTEXT = 'correct-horse-battery-staple-7f3a9';

  it('seals to agent keys, opens with either, and never writes the plaintext anywhere else', async () => {
    for (const a of ['dc01', 'dc02', 'other']) expect((await vigil('keygen', '--out', a, '--kind', 'agent')).code).toBe(0);
    const before = new Set(await readdir(dir));
    const seal = await runCli(['secret', 'seal', '--to', 'dc01.pub', '--to', 'dc02.pub', '--out', 'sealed.age'], { cwd: dir, input: PLAINTEXT });
    expect(seal.code, seal.stderr).toBe(0);
    const sealed = await readFile(path.join(dir, 'sealed.age'), 'utf8');
    expect(sealed).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+-----END AGE ENCRYPTED FILE-----\n$/);
    const toStdout = await runCli(['secret', 'seal', '--to', 'dc01.pub'], { cwd: dir, input: PLAINTEXT });
    expect(toStdout.stdout).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    const wrong = await runCli(['secret', 'open', '--key', 'other.key', '--in', 'sealed.age'], { cwd: dir });
    expect(wrong.code, wrong.stderr).toBe(1);
    const badRecipient = await runCli(['secret', 'seal', '--to', 'ci.pub'], { cwd: dir, input: PLAINTEXT });
    expect(badRecipient.code, badRecipient.stderr).toBe(1);
    const fromArgs = await runCli(['secret', 'seal', '--to', 'dc01.pub', PLAINTEXT], { cwd: dir });
    expect(fromArgs.stderr).toContain('never from arguments');
    expect(fromArgs.code, fromArgs.stderr).toBe(2);

    // Every output of every sealing command, and every file they wrote, is free of the plaintext.
    const written = (await readdir(dir)).filter((f) => !before.has(f));
    expect(written).toEqual(['sealed.age']);
    const outputs = [seal, toStdout, wrong, badRecipient, fromArgs].flatMap((r) => [r.stdout, r.stderr]);
    outputs.push(sealed);
    for (const text of outputs) expect(text).not.toContain(PLAINTEXT);

    for (const agent of ['dc01', 'dc02']) {
      const open = await runCli(['secret', 'open', '--key', `${agent}.key`, '--in', 'sealed.age'], { cwd: dir });
      expect(open.code, open.stderr).toBe(0);
      expect(open.stdout).toBe(PLAINTEXT);
    }
  });
});
