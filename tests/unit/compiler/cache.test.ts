import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../bin/main.js';
import { compile } from '../../../compiler/index.js';
import { isJsonExact } from '../../../compiler/cache-pack.js';
import { canonicalJson } from '../../../runtime/bundle/canonical.js';
import { pipelineDigest } from '../../../compiler/sigma/pipelines.js';
import { listFiles } from '../../../runtime/bundle/repo-files.js';
import { memoryIo } from '../../helpers/memory-io.js';
import { writeFileIn, writeFilesIn } from '../../helpers/files.js';

/** The compile cache (compiler/cache.ts): it may make builds faster, never different. */

const rule = (id: string, title: string, image: string, level = 'medium') => `title: ${title}
id: ${id}
status: test
logsource:
  category: process_creation
  product: windows
detection:
  selection:
    Image|endswith: '${image}'
  condition: selection
level: ${level}
`;

const ids = Array.from({ length: 6 }, (_, i) => `${i + 1}${i + 1}${i + 1}${i + 1}${i + 1}${i + 1}${i + 1}${i + 1}-1111-4111-8111-11111111111${i + 1}`);
const CORRELATION = `title: Burst
id: 99999999-9999-4999-8999-999999999999
correlation:
  type: event_count
  rules: [${ids[0]}]
  group-by: [Computer]
  timespan: 5m
  condition: { gte: 2 }
`;

const group = (name: string) => `apiVersion: vigil/v1
kind: HostGroup
metadata:
  name: ${name}
spec:
  hosts: [${name}-host]
---
apiVersion: vigil/v1
kind: Host
metadata:
  name: ${name}-host
spec:
  hostname: ${name}-host
`;

const FILES: Record<string, string> = {
  ...Object.fromEntries(ids.map((id, i) => [`rules/r${i}.yml`, rule(id, `Rule ${i}`, `\\tool${i}.exe`)])),
  'rules/burst.yml': CORRELATION,
  'packages/all.yaml': 'apiVersion: vigil/v1\nkind: Package\nmetadata:\n  name: all\nspec:\n  version: 1.0.0\n  rules:\n    globs: [\'rules/**/*.yml\']\n  hostGroups: [alpha, beta, gamma]\n',
  'groups/alpha.yaml': group('alpha'),
  'groups/beta.yaml': group('beta'),
  'groups/gamma.yaml': group('gamma'),
};

let tmp: string;
const env = { SOURCE_DATE_EPOCH: '1700000000' };

async function vigil(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIo(tmp, env);
  const code = await main(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}


/** A copy of the windows pipeline at `tmp/name`, and its text. */
function pipelineCopy(name: string): { pipeline: string; windows: string } {
  const windows = readFileSync(path.join(import.meta.dirname, '../../../policies/pipelines/windows.yml'), 'utf8');
  return { pipeline: writeFileIn(tmp, name, windows), windows };
}

/** Every file of OUT, by path. */
async function snapshot(out: string): Promise<Map<string, string>> {
  const files = await listFiles(out);
  return new Map(files.map((f) => [f, readFileSync(path.join(out, f)).toString('base64')]));
}

async function build(repo: string, out: string, ...cache: string[]): Promise<Map<string, string>> {
  const r = await vigil('compile', repo, '--out', out, '--key', 'ci.key', '--trust', 'root.json', ...cache);
  expect(r.code, r.stderr).toBe(0);
  return snapshot(out);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-cache-'));
  expect((await vigil('keygen', '--out', 'ci')).code).toBe(0);
  expect((await vigil('trust', 'init', '--keys', 'ci.key', '--out', 'root.json')).code).toBe(0);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('compile cache', () => {
  it('gives the same bytes with no cache, a cold cache and a warm cache', async () => {
    const repo = path.join(tmp, 'same');
    writeFilesIn(repo, FILES);
    const none = await build(repo, path.join(tmp, 'same-none'), '--no-cache');
    const cold = await build(repo, path.join(tmp, 'same-cold'), '--cache', 'c-same');
    const warm = await build(repo, path.join(tmp, 'same-warm'), '--cache', 'c-same');
    expect(none.size).toBeGreaterThan(6);
    expect(cold).toEqual(none);
    expect(warm).toEqual(none);
    const stats = (await compile({ dir: repo }, { sigma: { pipeline: 'windows' }, cacheDir: path.join(tmp, 'c-same') })).cache;
    // Every file is a hit, and only the package's YAML is parsed again (the rule-tests check reads
    // its `spec.tests` node); rules, the correlation and group files stay unparsed.
    expect(stats).toMatchObject({ hits: Object.keys(FILES).length, misses: 0, stored: 0, reparsed: 1 });
  });

  it('rebuilds after one changed file exactly as a cold build does', async () => {
    const repo = path.join(tmp, 'change');
    writeFilesIn(repo, FILES);
    const out = path.join(tmp, 'change-out');
    await build(repo, out, '--cache', 'c-change');
    writeFileSync(path.join(repo, 'rules/r3.yml'), rule(ids[3]!, 'Rule 3', '\\tool3.exe', 'critical'));
    const incremental = await build(repo, out, '--cache', 'c-change');
    const coldOut = path.join(tmp, 'change-cold');
    await build(repo, coldOut, '--no-cache');
    // The cold build starts a new OUT (versions 1) while the rebuild continues one: compare the targets.
    const targets = (m: Map<string, string>) => new Map([...m].filter(([f]) => f.startsWith('targets/')));
    expect(targets(incremental)).toEqual(targets(await snapshot(coldOut)));
    // The changed rule reached the published targets (in the bundle or a rule pack it names).
    const texts = [...targets(incremental).values()].map((b64) => Buffer.from(b64, 'base64').toString('utf8'));
    expect(texts.some((t) => t.includes('"level":"critical"'))).toBe(true);
  });

  it('never caches a file with a diagnostic, and reports the same diagnostics warm as cold', async () => {
    const repo = path.join(tmp, 'diag');
    writeFilesIn(repo, { ...FILES, 'rules/dup.yml': rule(ids[1]!, 'Duplicate', '\\dup.exe') });
    const check = (...extra: string[]) => vigil('check', repo, '--format', 'json', ...extra);
    const none = await check('--no-cache');
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('VG4001');
    const cold = await check('--cache', 'c-diag');
    const warm = await check('--cache', 'c-diag');
    expect(cold.stdout).toBe(none.stdout);
    expect(warm.stdout).toBe(none.stdout);
    // `vigil check` compiles Sigma with the windows pipeline by default, as `vigil compile` does.
    const stats = (await compile({ dir: repo }, { until: 'lower', sigma: { pipeline: 'windows' }, cacheDir: path.join(tmp, 'c-diag') })).cache!;
    // Both files the duplicate-id diagnostic points into (primary and related span) are never stored.
    expect(stats.misses).toBe(2);
    expect(stats.hits).toBe(Object.keys(FILES).length - 1);
  });

  it('parses a cached file again when a new cross-file diagnostic needs a span in it', async () => {
    const repo = path.join(tmp, 'cross');
    writeFilesIn(repo, FILES);
    expect((await vigil('check', repo, '--cache', 'c-cross')).code).toBe(0);
    // The correlation stays cached, but the rule it names disappears: VG3002 points into the cached file.
    rmSync(path.join(repo, 'rules/r0.yml'));
    const warm = await vigil('check', repo, '--format', 'json', '--cache', 'c-cross');
    const none = await vigil('check', repo, '--format', 'json', '--no-cache');
    expect(none.stdout).toContain('VG3002');
    expect(warm.stdout).toBe(none.stdout);
  });

  it('treats a damaged, truncated or foreign pack as a miss, never a failure', async () => {
    const repo = path.join(tmp, 'damaged');
    writeFilesIn(repo, FILES);
    const cacheDir = path.join(tmp, 'c-damaged');
    const none = await build(repo, path.join(tmp, 'damaged-none'), '--no-cache');
    await build(repo, path.join(tmp, 'damaged-cold'), '--cache', cacheDir);
    const entries = listEntries(cacheDir);
    // One pack holds every file of the input.
    expect(entries.length).toBe(1);
    const pack = entries[0]!;
    const good = readFileSync(pack);
    const stats = async () => (await compile({ dir: repo }, { sigma: { pipeline: 'windows' }, cacheDir })).cache!;
    expect(await stats()).toMatchObject({ hits: Object.keys(FILES).length, misses: 0 });
    const text = good.toString('utf8');
    const flipped = text.slice(0, text.length - 40) + (text[text.length - 40] === 'a' ? 'b' : 'a') + text.slice(text.length - 39);
    const damages: [string, Buffer | string][] = [
      ['one changed byte', flipped],
      ['truncated', good.subarray(0, good.length >> 1)],
      ['garbage', 'garbage'],
      ['empty', ''],
      ['a pack of another input', resealed(text.replace(/"origin":"[^"]*"/, '"origin":"worktree\\u0000/elsewhere"'))],
    ];
    for (const [what, bytes] of damages) {
      writeFileSync(pack, bytes);
      expect(await stats(), what).toMatchObject({ hits: 0, misses: Object.keys(FILES).length });
      writeFileSync(pack, bytes);
      expect(await build(repo, path.join(tmp, 'damaged-warm'), '--cache', cacheDir), what).toEqual(none);
    }
    // A miss rewrites the pack, so the next build hits again.
    expect(await stats()).toMatchObject({ hits: Object.keys(FILES).length, misses: 0 });
  });

  it('keeps one pack per input; a changed file misses alone and goes to a delta until the pack is rewritten', async () => {
    const cacheDir = path.join(tmp, 'c-packs');
    const one = path.join(tmp, 'packs-one');
    const two = path.join(tmp, 'packs-two');
    // Enough files that deleting some of them is worth rewriting the pack (over 64 unused entries).
    const hosts = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`hosts/h${i}.yaml`, `apiVersion: vigil/v1\nkind: Host\nmetadata:\n  name: h${i}\nspec:\n  hostname: h${i}\n`]));
    writeFilesIn(one, FILES);
    writeFilesIn(two, { ...FILES, ...hosts });
    const stats = async (dir: string) => (await compile({ dir }, { sigma: { pipeline: 'windows' }, cacheDir })).cache!;
    const n = Object.keys(FILES).length;
    expect(await stats(one)).toMatchObject({ hits: 0, misses: n, stored: n });
    expect(await stats(two)).toMatchObject({ hits: 0, misses: n + 70, stored: n + 70 });
    const packs = listEntries(cacheDir);
    expect(packs.map((f) => path.extname(f))).toEqual(['.pack', '.pack']);
    const packOf = (dir: string) => packs.find((f) => readFileSync(f, 'utf8').includes(dir))!;
    const before = readFileSync(packOf(one));
    writeFileSync(path.join(one, 'rules/r2.yml'), rule(ids[2]!, 'Rule 2', '\\tool2.exe', 'high'));
    expect(await stats(one)).toMatchObject({ hits: n - 1, misses: 1, stored: 1 });
    // The pack is left as it was; the changed file's entry is in the delta beside it.
    expect(readFileSync(packOf(one))).toEqual(before);
    expect(listEntries(cacheDir).filter((f) => f.endsWith('.delta')).length).toBe(1);
    expect(await stats(one)).toMatchObject({ hits: n, misses: 0, stored: 0 });
    writeFileSync(path.join(one, 'rules/r3.yml'), rule(ids[3]!, 'Rule 3', '\\tool3.exe', 'high'));
    expect(await stats(one)).toMatchObject({ hits: n - 1, misses: 1, stored: 1 });
    expect(await stats(one)).toMatchObject({ hits: n, misses: 0, stored: 0 });
    // The other input's pack was left alone.
    expect(await stats(two)).toMatchObject({ hits: n + 70, misses: 0, stored: 0 });
    // Deleted files leave the pack once enough of it is unused: then it is rewritten.
    rmSync(path.join(two, 'hosts'), { recursive: true });
    expect(await stats(two)).toMatchObject({ hits: n, misses: 0 });
    const rewritten = readFileSync(packOf(two), 'utf8');
    expect(rewritten).not.toContain('hosts/h5.yaml');
    expect(rewritten).toContain('rules/r3.yml');
    // A damaged delta only costs its own entries.
    const delta = listEntries(cacheDir).find((f) => f.endsWith('.delta'))!;
    writeFileSync(delta, 'garbage');
    expect(await stats(one)).toMatchObject({ hits: n - 2, misses: 2, stored: 2 });
    expect(await stats(one)).toMatchObject({ hits: n, misses: 0, stored: 0 });
  });

  it('keys entries by the pipeline file\'s bytes, and compiles with the file as it is now', async () => {
    const repo = path.join(tmp, 'pipeline');
    writeFilesIn(repo, FILES);
    const cacheDir = path.join(tmp, 'c-pipeline');
    const { pipeline, windows } = pipelineCopy('pipeline.yml');
    const run = async () => {
      const r = await compile({ dir: repo }, { sigma: { pipeline }, cacheDir });
      if (!r.ok) throw new Error('compile failed');
      const ir = [...r.sigma.values()].find((c) => c.id === ids[0])!.ir;
      return { stats: r.cache!, text: canonicalJson(ir) };
    };
    const n = Object.keys(FILES).length;
    const cold = await run();
    expect(cold.stats).toMatchObject({ hits: 0, misses: n });
    expect(cold.text).toContain('"field":"NewProcessName"');
    expect((await run()).stats).toMatchObject({ hits: n, misses: 0 });
    // Same process, changed file: every entry misses, and the new field map is used.
    writeFileSync(pipeline, windows.replace('Image: NewProcessName', 'Image: ChangedImage'));
    const changed = await run();
    expect(changed.stats).toMatchObject({ hits: 0, misses: n });
    expect(changed.text).toContain('"field":"ChangedImage"');
    expect(changed.text).not.toContain('"field":"NewProcessName"');
    const warm = await run();
    expect(warm.stats).toMatchObject({ hits: n, misses: 0 });
    expect(warm.text).toBe(changed.text);
  });

  it('compiles a changed file with the pipeline the pack holds, without parsing its YAML again', async () => {
    const repo = path.join(tmp, 'pipeline-kept');
    writeFilesIn(repo, FILES);
    const cacheDir = path.join(tmp, 'c-pipeline-kept');
    const { pipeline, windows } = pipelineCopy('pipeline-kept.yml');
    expect((await compile({ dir: repo }, { sigma: { pipeline }, cacheDir })).ok).toBe(true);
    // As in a new process: this one forgets the parsed pipeline (another file was read under its name).
    writeFileSync(pipeline, `${windows}\n# other\n`);
    pipelineDigest(pipeline);
    writeFileSync(pipeline, windows);
    // The pack's copy is marked, so using it (rather than the YAML) shows.
    const [pack] = listEntries(cacheDir);
    const text = readFileSync(pack!, 'utf8');
    expect(text).toContain('"NewProcessName"');
    writeFileSync(pack!, resealed(text.replace('"Image":"NewProcessName"', '"Image":"FromThePack"')));
    writeFileSync(path.join(repo, 'rules/r0.yml'), rule(ids[0]!, 'Rule 0', '\\tool0.exe', 'high'));
    const r = await compile({ dir: repo }, { sigma: { pipeline }, cacheDir });
    expect(r.cache).toMatchObject({ misses: 1 });
    const ir = r.ok ? [...r.sigma.values()].find((c) => c.id === ids[0])!.ir : undefined;
    expect(canonicalJson(ir)).toContain('"field":"FromThePack"');
  });

  it('refuses a cache directory inside OUT, and --cache with --no-cache', async () => {
    const repo = path.join(tmp, 'refuse');
    writeFilesIn(repo, FILES);
    expect((await vigil('compile', repo, '--out', 'refuse-out', '--key', 'ci.key', '--trust', 'root.json', '--cache', 'refuse-out/.cache')).code).toBe(2);
    expect((await vigil('check', repo, '--cache', 'x', '--no-cache')).code).toBe(2);
  });
});

describe('compile cache: files vouched for by their stat signature', () => {
  const opts = (cacheDir: string, statSlackMs?: number) => ({ sigma: { pipeline: 'windows' as const }, cacheDir, ...(statSlackMs === undefined ? {} : { statSlackMs }) });
  // Files this test just wrote count as old enough with a negative slack (the racy-git window moved past them).
  const OLD_ENOUGH = -60_000;
  const documents = (r: Awaited<ReturnType<typeof compile>>) => (r.ok ? r.bundles?.map((b) => canonicalJson(b.document)) : undefined);
  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  it('does not read a file whose size, times and inode are those its entry was stored with, and builds the same', async () => {
    const repo = path.join(tmp, 'stat-same');
    writeFilesIn(repo, FILES);
    const cacheDir = path.join(tmp, 'c-stat-same');
    const cold = await compile({ dir: repo }, opts(cacheDir, OLD_ENOUGH));
    expect(cold.cache).toMatchObject({ unread: 0, misses: Object.keys(FILES).length });
    const warm = await compile({ dir: repo }, opts(cacheDir, OLD_ENOUGH));
    expect(warm.cache).toMatchObject({ unread: Object.keys(FILES).length, hits: Object.keys(FILES).length, misses: 0 });
    expect(documents(warm)).toEqual(documents(await compile({ dir: repo }, { sigma: { pipeline: 'windows' } })));
    // Its digest (provenance names it) is the file's, and its text is read when asked for.
    const bytes = readFileSync(path.join(repo, 'rules/r2.yml'));
    expect(warm.sources.get('rules/r2.yml')?.digest).toBe(sha256(bytes));
    expect(warm.sources.get('rules/r2.yml')?.text).toBe(bytes.toString('utf8'));
  });

  it('reads a changed file again, even with the same size and its old modification time put back', async () => {
    const repo = path.join(tmp, 'stat-change');
    writeFilesIn(repo, FILES);
    const cacheDir = path.join(tmp, 'c-stat-change');
    await compile({ dir: repo }, opts(cacheDir, OLD_ENOUGH));
    const file = path.join(repo, 'rules/r1.yml');
    const before = statSync(file);
    const changed = readFileSync(file, 'utf8').replace('tool1.exe', 'tool7.exe');
    expect(changed.length).toBe(before.size);
    writeFileSync(file, changed);
    utimesSync(file, before.atime, before.mtime);
    const warm = await compile({ dir: repo }, opts(cacheDir, OLD_ENOUGH));
    // The change time moved (nobody can set it back), so the file was read and compiled anew.
    expect(warm.cache).toMatchObject({ unread: Object.keys(FILES).length - 1, misses: 1 });
    expect(warm.sources.get('rules/r1.yml')?.digest).toBe(sha256(Buffer.from(changed)));
    expect(documents(warm)!.join('')).toContain('tool7.exe');
    expect(documents(warm)).toEqual(documents(await compile({ dir: repo }, { sigma: { pipeline: 'windows' } })));
  });

  it('fails with VG1014, never mixing versions, when a vouched-for file is saved during the build', async () => {
    const repo = path.join(tmp, 'stat-saved');
    writeFilesIn(repo, FILES);
    const cacheDir = path.join(tmp, 'c-stat-saved');
    await compile({ dir: repo }, opts(cacheDir, OLD_ENOUGH));
    const file = path.join(repo, 'packages/all.yaml');
    const original = readFileSync(file, 'utf8');
    let saved = false;
    // An editor saves the package (which later stages parse again for spans) right after loading.
    const racy = await compile({ dir: repo }, { ...opts(cacheDir, OLD_ENOUGH), onProgress: (stage: string) => {
      if (stage === 'parse' && !saved) {
        saved = true;
        writeFileSync(file, original.replace('[alpha, beta, gamma]', '[alpha]'));
      }
    } });
    expect(saved).toBe(true);
    expect(racy.ok).toBe(false);
    expect(racy.report.diagnostics.map((d) => [d.code, d.span.file])).toEqual([['VG1014', 'packages/all.yaml']]);
    // The next build reads the saved file and succeeds.
    const next = await compile({ dir: repo }, opts(cacheDir, OLD_ENOUGH));
    expect(next.ok).toBe(true);
    expect(next.sources.get('packages/all.yaml')?.digest).toBe(sha256(readFileSync(file)));
  });

  it('always reads files that changed within the slack before the build (they may change again unseen)', async () => {
    const repo = path.join(tmp, 'stat-racy');
    writeFilesIn(repo, FILES);
    const cacheDir = path.join(tmp, 'c-stat-racy');
    await compile({ dir: repo }, opts(cacheDir, 3_600_000));
    const warm = await compile({ dir: repo }, opts(cacheDir, 3_600_000));
    expect(warm.cache).toMatchObject({ unread: 0, hits: Object.keys(FILES).length });
    // Once old enough, the next build stores their signatures, and the one after reads none.
    await compile({ dir: repo }, opts(cacheDir, OLD_ENOUGH));
    expect((await compile({ dir: repo }, opts(cacheDir, OLD_ENOUGH))).cache).toMatchObject({ unread: Object.keys(FILES).length });
  });
});

describe('isJsonExact', () => {
  it('accepts what JSON carries unchanged and refuses what it would change', () => {
    expect(isJsonExact({ a: [1, 'x', null, true, { b: 2.5 }] })).toBe(true);
    for (const bad of [Infinity, -Infinity, NaN, -0, undefined, new Date(0), { a: undefined }, [1, Infinity]]) expect(isJsonExact(bad)).toBe(false);
    expect(isJsonExact(JSON.parse('{"__proto__": 1}'))).toBe(false);
  });
});

/** A pack text with its leading SHA-256 recomputed (a well-formed pack with other contents). */
function resealed(text: string): string {
  const rest = text.slice(text.indexOf('\n') + 1);
  return `${createHash('sha256').update(rest).digest('hex')}\n${rest}`;
}

function listEntries(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}
