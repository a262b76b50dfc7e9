import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, cp, mkdir, readFile, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Metadata, MetadataKind, TargetFile, type Targets } from '@tufjs/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../runtime/bundle/canonical.js';
import type { SigningKey } from '../../runtime/bundle/keys.js';
import { INPUTS_TARGET_PATH } from '../../runtime/bundle/layout.js';
import { envelopeBytes, INPUTS_TYPE, PAYLOAD_TYPE, signEnvelope } from '../../runtime/bundle/provenance.js';
import { listFiles, readRepositoryState } from '../../runtime/bundle/repo-files.js';
import { metadataBytes, signMetadata } from '../../runtime/bundle/metadata.js';
import { rotateRoot } from '../../runtime/bundle/trust.js';
import { runCli } from '../helpers/cli.js';
import { bundleDoc, keyFile, publish, simpleRoot, tempDir } from '../unit/bundle/repo-fixture.js';

/**
 * Every attack of issue 5 against a published repository, each refused by the real CLI
 * (`vigil verify --format json`) with its own VR code naming the file.
 */

interface Verdict {
  readonly exit: number;
  readonly refusals: { code: string; file: string; message: string }[];
}

/** Runs `vigil verify` and collects the refusals it prints. */
async function verify(target: string, trust: string, ...extra: string[]): Promise<Verdict> {
  const r = await runCli(['verify', target, '--trust', trust, '--format', 'json', ...extra]);
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { code?: string; file: string; message: string });
  expect(r.stderr).not.toMatch(/VG9000|at .*\.js:\d+/);
  return { exit: r.code, refusals: lines.filter((l): l is Verdict['refusals'][number] => typeof l.code === 'string') };
}

/** Asserts a refusal with `code` naming `file`. */
function expectRefused(v: Verdict, code: string, file?: string): void {
  expect(v.exit).toBe(1);
  // The first refusal is the attack's own code, never a generic one.
  expect(v.refusals[0]?.code).toBe(code);
  if (file !== undefined) expect(v.refusals[0]?.file).toBe(file);
}

/** Reads, edits and rewrites a JSON file. */
async function editJson(file: string, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  await writeFile(file, canonicalBytes(json));
}

/** Flips one byte inside the signed content of a file (a digit of `expires`, a letter of a bundle or payload). */
function flipByte(bytes: Buffer, rel: string): Buffer {
  const text = bytes.toString('latin1');
  const anchor = rel.endsWith('bundle.json') ? '"group":"' : rel.endsWith('provenance.json') ? '"payload":"' : '"expires":"';
  const at = text.indexOf(anchor) + anchor.length + (anchor === '"expires":"' ? 3 : 0);
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] as number) ^ (anchor === '"expires":"' ? 0x01 : 0x20);
  return copy;
}

let dir: string;
let ci: { key: SigningKey; file: string };
let trustFile: string;
let pristine: string;

afterAll(() => rm(dir, { recursive: true, force: true }));

beforeAll(async () => {
  dir = await tempDir('vigil-attacks-');
  ci = await keyFile(dir, 'ci');
  const trust = simpleRoot([ci.key]);
  trustFile = path.join(dir, 'root.json');
  await writeFile(trustFile, trust);
  pristine = path.join(dir, 'pristine');
  await publish(pristine, { roots: [trust], keys: [ci.key] });
  const ok = await verify(pristine, trustFile);
  expect(ok).toEqual({ exit: 0, refusals: [] });
});

/** A fresh copy of the pristine repository. */
async function copy(name: string): Promise<string> {
  const out = path.join(dir, name);
  await cp(pristine, out, { recursive: true });
  return out;
}

describe('attacks on a signed repository', () => {
  it('refuses a byte flipped in any file, naming the file (VR1001)', async () => {
    const files = await listFiles(pristine);
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const rel of files) {
      const out = await copy(`flip-${rel.replace(/\//g, '_')}`);
      const file = path.join(out, rel);
      await writeFile(file, flipByte(await readFile(file), rel));
      expectRefused(await verify(out, trustFile), 'VR1001', rel);
    }
  });

  it('refuses metadata whose signature was removed (VR1002)', async () => {
    const out = await copy('unsigned');
    await editJson(path.join(out, 'timestamp.json'), (j) => { j.signatures = []; });
    expectRefused(await verify(out, trustFile), 'VR1002', 'timestamp.json');
  });

  it('refuses metadata re-signed by an unknown key (VR1003)', async () => {
    const out = await copy('unknown-key');
    const mallory = await keyFile(dir, 'mallory');
    const file = path.join(out, 'targets.json');
    const md = Metadata.fromJSON(MetadataKind.Targets, JSON.parse(await readFile(file, 'utf8'))) as Metadata<Targets>;
    md.signatures = {};
    signMetadata(md, [mallory.key]);
    await writeFile(file, metadataBytes(md));
    expectRefused(await verify(out, trustFile), 'VR1003', 'targets.json');
  });

  it('refuses targets with fewer signatures than the threshold (VR1004) and one key counted twice (VR1005)', async () => {
    const approver = await keyFile(dir, 'approver-t');
    const trust = simpleRoot([ci.key], { targets: { keys: [ci.key, approver.key], threshold: 2 } });
    const trust2 = path.join(dir, 'root-threshold.json');
    await writeFile(trust2, trust);
    const out = path.join(dir, 'threshold');
    await publish(out, { roots: [trust], keys: [ci.key] });
    expectRefused(await verify(out, trust2), 'VR1004', 'targets.json');
    await editJson(path.join(out, 'targets.json'), (j) => {
      const sigs = j.signatures as unknown[];
      j.signatures = [sigs[0], sigs[0]];
    });
    expectRefused(await verify(out, trust2), 'VR1005', 'targets.json');
  });

  it('refuses an older version replayed after a newer one (VR1006)', async () => {
    const trust = await readFile(trustFile);
    const older = await copy('older');
    const newer = await copy('newer');
    await publish(newer, { roots: [trust], keys: [ci.key], commitTime: new Date(Date.now() - 60_000), previous: await readRepositoryState(newer) });
    const state = path.join(dir, 'agent-state');
    expect((await verify(newer, trustFile, '--state', state)).exit).toBe(0);
    expectRefused(await verify(older, trustFile, '--state', state), 'VR1006', 'timestamp.json');
    expect((await verify(newer, trustFile, '--state', state)).exit).toBe(0);
  });

  it('refuses an expired timestamp or root (VR1007, freeze)', async () => {
    const trust = await readFile(trustFile);
    const stale = path.join(dir, 'stale');
    await publish(stale, { roots: [trust], keys: [ci.key], commitTime: new Date(Date.now() - 10 * 86_400_000) });
    expectRefused(await verify(stale, trustFile), 'VR1007', 'timestamp.json');

    const oldRoot = simpleRoot([ci.key], { expires: '2001-01-01T00:00:00Z' });
    const oldTrust = path.join(dir, 'root-expired.json');
    await writeFile(oldTrust, oldRoot);
    const frozen = path.join(dir, 'frozen');
    await publish(frozen, { roots: [oldRoot], keys: [ci.key] });
    expectRefused(await verify(frozen, oldTrust), 'VR1007', oldTrust);
  });

  it('refuses another group\'s bundle (VR1008, mix-and-match)', async () => {
    const out = await copy('mix');
    await cp(path.join(out, 'targets/groups/g2/bundle.json'), path.join(out, 'targets/groups/g1/bundle.json'));
    expectRefused(await verify(out, trustFile), 'VR1008', 'targets/groups/g1/bundle.json');
    expectRefused(await verify(path.join(pristine, 'targets/groups/g2/bundle.json'), trustFile, '--group', 'g1'), 'VR1008');
    expect((await verify(path.join(pristine, 'targets/groups/g2/bundle.json'), trustFile, '--group', 'g2')).exit).toBe(0);
  });

  it('refuses metadata pointing at another digest (VR1009)', async () => {
    const trust = await readFile(trustFile);
    const other = path.join(dir, 'other-build');
    await publish(other, { roots: [trust], keys: [ci.key], commitTime: new Date(Date.now() - 7_200_000), bundles: [{ group: 'g1', document: bundleDoc('g1', ['x']) }] });
    const out = await copy('swapped');
    await cp(path.join(other, 'snapshot.json'), path.join(out, 'snapshot.json'));
    expectRefused(await verify(out, trustFile), 'VR1009', 'snapshot.json');
  });

  it('refuses a download larger than the metadata says (VR1010, endless data)', async () => {
    const out = await copy('endless');
    await appendFile(path.join(out, 'targets/groups/g1/bundle.json'), Buffer.alloc(1 << 20, 0x20));
    expectRefused(await verify(out, trustFile), 'VR1010', 'targets/groups/g1/bundle.json');
    const meta = await copy('endless-meta');
    await appendFile(path.join(meta, 'snapshot.json'), Buffer.alloc(4096, 0x20));
    expectRefused(await verify(meta, trustFile), 'VR1010', 'snapshot.json');
  });

  it('refuses path traversal in a signed target name or a file name (VR1011)', async () => {
    const out = await copy('traversal');
    const file = path.join(out, 'targets.json');
    const md = Metadata.fromJSON(MetadataKind.Targets, JSON.parse(await readFile(file, 'utf8'))) as Metadata<Targets>;
    md.signed.targets['../../etc/passwd'] = new TargetFile({ path: '../../etc/passwd', length: 1, hashes: { sha256: '0'.repeat(64) } });
    md.signatures = {};
    signMetadata(md, [ci.key]);
    await writeFile(file, metadataBytes(md));
    expectRefused(await verify(out, trustFile), 'VR1011', 'targets.json');

    const named = await copy('traversal-name');
    await mkdir(path.join(named, 'targets/groups/g1'), { recursive: true });
    await writeFile(path.join(named, 'targets/groups/g1/..evil'), 'x');
    expectRefused(await verify(named, trustFile), 'VR1011', 'targets/groups/g1/..evil');
  });

  it('refuses metadata signed by a key of a rotated-out root (VR1012)', async () => {
    const fresh = await keyFile(dir, 'fresh');
    const v1 = await readFile(trustFile);
    const all = { keys: [fresh.key], threshold: 1 };
    const v2 = rotateRoot(v1, { root: all, targets: all, snapshot: all, timestamp: all, expires: '2099-01-01T00:00:00Z' }, [ci.key, fresh.key]);
    const out = path.join(dir, 'rotated');
    await publish(out, { roots: [v1, v2], keys: [fresh.key] });
    expect((await verify(out, trustFile)).exit).toBe(0);
    const file = path.join(out, 'timestamp.json');
    const md = Metadata.fromJSON(MetadataKind.Timestamp, JSON.parse(await readFile(file, 'utf8')));
    md.signatures = {};
    signMetadata(md, [ci.key]);
    await writeFile(file, metadataBytes(md));
    expectRefused(await verify(out, trustFile), 'VR1012', 'timestamp.json');
  });

  it('refuses a forged or oversized history root: older roots must chain to the trusted one (VR1001, VR1010)', async () => {
    const next = await keyFile(dir, 'next');
    const mallory = await keyFile(dir, 'mallory');
    const v1 = await readFile(trustFile);
    const all = { keys: [next.key], threshold: 1 };
    const v2 = rotateRoot(v1, { root: all, targets: all, snapshot: all, timestamp: all, expires: '2099-01-01T00:00:00Z' }, [ci.key, next.key]);
    const trust2 = path.join(dir, 'root-v2.json');
    await writeFile(trust2, v2);
    const out = path.join(dir, 'history');
    await publish(out, { roots: [v1, v2], keys: [next.key] });
    expect(await verify(out, trust2)).toEqual({ exit: 0, refusals: [] });
    // A well-formed root 1, self-signed by keys root 2 never trusted: not root 2's predecessor.
    const forged = path.join(dir, 'history-forged');
    await cp(out, forged, { recursive: true });
    await writeFile(path.join(forged, '1.root.json'), simpleRoot([mallory.key]));
    const v = await verify(forged, trust2);
    expectRefused(v, 'VR1001', '1.root.json');
    expect(v.refusals[0]?.message).toContain('did not sign root version 2');
    // A huge (sparse) file is refused by its size, never read.
    const huge = path.join(dir, 'history-huge');
    await cp(out, huge, { recursive: true });
    await truncate(path.join(huge, '1.root.json'), 1 << 30);
    expectRefused(await verify(huge, trust2), 'VR1010', '1.root.json');
  });

  it('refuses, as the agent does, a signed bundle that declares a feature no agent implements (VR1016)', async () => {
    const out = path.join(dir, 'future-feature');
    await publish(out, { roots: [await readFile(trustFile)], keys: [ci.key], bundles: [{ group: 'g1', document: { ...bundleDoc('g1'), features: ['future.kernel-hooks'] } }] });
    const v = await verify(out, trustFile);
    expectRefused(v, 'VR1016', 'targets/groups/g1/bundle.json');
    expect(v.refusals[0]?.message).toContain('future.kernel-hooks');
  });

  it('refuses a directory tree nested past the system\'s path limit as an unsafe name (VR1011), not an internal error', async () => {
    const out = await copy('deep-dirs');
    // Created one level at a time from inside (relative names), as only a process that changes directory can.
    const made = spawnSync(process.execPath, ['-e', "const fs = require('fs'); process.chdir(process.argv[1]); for (let i = 0; i < 25; i++) { fs.mkdirSync('d'.repeat(200)); process.chdir('d'.repeat(200)); }", path.join(out, 'targets')]);
    expect(made.status).toBe(0);
    const v = await verify(out, trustFile);
    expectRefused(v, 'VR1011');
    expect(v.refusals[0]?.file).toMatch(/^targets\/d{200}\//);
    // Removed the same way (a recursive rm from outside meets the same limit).
    const removed = spawnSync(process.execPath, ['-e', "const fs = require('fs'); process.chdir(process.argv[1]); for (let i = 0; i < 25; i++) process.chdir('d'.repeat(200)); for (let i = 0; i < 25; i++) { process.chdir('..'); fs.rmdirSync('d'.repeat(200)); }", path.join(out, 'targets')]);
    expect(removed.status).toBe(0);
  });

  it('never reads a bundle through a symlinked directory, even when asked for that one bundle', async () => {
    const out = await copy('linked-dir');
    const elsewhere = path.join(dir, 'linked-dir-groups');
    await rename(path.join(out, 'targets/groups'), elsewhere);
    await symlink(elsewhere, path.join(out, 'targets/groups'));
    expectRefused(await verify(path.join(out, 'targets/groups/g1/bundle.json'), trustFile), 'VR1014', 'targets/groups/g1/bundle.json');
  });

  it('refuses metadata with bytes outside its signed content: a duplicate key, padding, an extra member (VR1001)', async () => {
    const cases: [string, (text: string) => string][] = [
      ['targets.json', (t) => `{"signed":{"version":999},${t.slice(1)}`],
      ['targets.json', (t) => `${t}${' '.repeat(1000)}`],
      ['timestamp.json', (t) => `${t.slice(0, -1)},"x":1}`],
    ];
    for (const [file, change] of cases) {
      const out = await copy(`loose-${file}-${cases.findIndex((c) => c[1] === change)}`);
      await writeFile(path.join(out, file), change(await readFile(path.join(out, file), 'utf8')));
      const v = await verify(out, trustFile);
      expectRefused(v, 'VR1001', file);
      expect(v.refusals[0]?.message).toMatch(/not canonical JSON|exactly `signed` and `signatures`/);
    }
  });

  it('refuses, as the agent does, a signed bundle whose IR its schema rejects (VR1016)', async () => {
    const out = path.join(dir, 'bad-ir');
    await publish(out, { roots: [await readFile(trustFile)], keys: [ci.key], bundles: [{ group: 'g1', document: { irVersion: 1, features: [], group: 'g1', content: { rules: [{ type: 'bogus' }] } } }] });
    const v = await verify(out, trustFile);
    expectRefused(v, 'VR1016', 'targets/groups/g1/bundle.json');
    expect(v.refusals[0]?.message).toContain('detection IR');
  });

  it('refuses an extra file that no signature covers, naming it (VR1013)', async () => {
    const out = await copy('extra');
    await writeFile(path.join(out, 'targets/groups/g1/rules-extra.json'), '{}');
    const v = await verify(out, trustFile);
    expectRefused(v, 'VR1013', 'targets/groups/g1/rules-extra.json');
    expect(v.refusals[0]?.message).toContain('targets/groups/g1/rules-extra.json');
  });

  it('refuses provenance whose input manifest is not the one it signs, or is not listed (VR1017)', async () => {
    // A signed targets.json that lists another manifest (an attacker with the targets key but not
    // the provenance's history): every statement still names the original digest.
    const out = await copy('other-inputs');
    const other = canonicalBytes({ _type: INPUTS_TYPE, inputs: [{ path: 'policies/evil.yaml', digest: { sha256: 'f'.repeat(64) } }] });
    await writeFile(path.join(out, 'targets', INPUTS_TARGET_PATH), other);
    await resignTargets(out, (targets) => {
      targets[INPUTS_TARGET_PATH] = new TargetFile({ path: INPUTS_TARGET_PATH, length: other.length, hashes: { sha256: createHash('sha256').update(other).digest('hex') } });
    });
    const v = await verify(out, trustFile);
    expectRefused(v, 'VR1017', 'targets/groups/g1/provenance.json');
    expect(v.refusals[0]?.message).toContain('input manifest sha256');

    const dropped = await copy('no-inputs');
    await rm(path.join(dropped, 'targets', INPUTS_TARGET_PATH));
    await resignTargets(dropped, (targets) => { delete targets[INPUTS_TARGET_PATH]; });
    const w = await verify(dropped, trustFile);
    expectRefused(w, 'VR1017', 'targets/groups/g1/provenance.json');
    expect(w.refusals[0]?.message).toContain('which targets.json does not list');

    // A signed statement naming a name every JavaScript object has is refused, not a crash.
    const odd = await copy('odd-inputs');
    const provFile = path.join(odd, 'targets/groups/g1/provenance.json');
    const envelope = JSON.parse(await readFile(provFile, 'utf8')) as { payload: string };
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { predicate: { inputs: { name: string } } };
    statement.predicate.inputs.name = 'constructor';
    const resigned = envelopeBytes(await signEnvelope(canonicalBytes(statement), PAYLOAD_TYPE, [ci.key]));
    await writeFile(provFile, resigned);
    await resignTargets(odd, (targets) => {
      targets['groups/g1/provenance.json'] = new TargetFile({ path: 'groups/g1/provenance.json', length: resigned.length, hashes: { sha256: createHash('sha256').update(resigned).digest('hex') }, unrecognizedFields: { custom: targets['groups/g1/provenance.json']!.custom as never } });
    });
    const o = await verify(odd, trustFile);
    expectRefused(o, 'VR1017', 'targets/groups/g1/provenance.json');
    expect(o.refusals[0]?.message).toContain('`constructor`, which targets.json does not list');
  });
});

/** Edits the targets of OUT's targets.json and signs it again with the CI key (same version). */
async function resignTargets(out: string, edit: (targets: Record<string, TargetFile>) => void): Promise<void> {
  const file = path.join(out, 'targets.json');
  const md = Metadata.fromJSON(MetadataKind.Targets, JSON.parse(await readFile(file, 'utf8'))) as Metadata<Targets>;
  edit(md.signed.targets);
  md.signatures = {};
  signMetadata(md, [ci.key]);
  await writeFile(file, metadataBytes(md));
}
