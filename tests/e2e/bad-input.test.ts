import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

/**
 * Bad input never crashes or hangs `vigil check`: each case gets a located diagnostic,
 * and a good file next to the bad one is still checked (its own planted error is reported).
 */
const ROOT = mkdtempSync(path.join(os.tmpdir(), 'vigil-bad-input-'));
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

/** A Host with one unknown field: the error every case expects to see next to its own. */
const GOOD_WITH_ERROR = 'apiVersion: vigil/v1\nkind: Host\nmetadata:\n  name: ws-001\nspec:\n  hostname: ws-001.contoso.local\n  locaton: Amsterdam\n';

interface Json {
  code: string;
  file: string;
  line: number;
  column: number;
}

let n = 0;
function repo(files: Record<string, string | Buffer>): string {
  const dir = path.join(ROOT, `case-${n++}`);
  for (const [rel, content] of Object.entries({ 'hosts/ws-001.yaml': GOOD_WITH_ERROR, ...files })) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

async function check(dir: string): Promise<{ code: number; diags: Json[]; ms: number; stderr: string }> {
  const start = performance.now();
  const r = await runCli(['check', dir, '--format', 'json'], { timeoutMs: 30_000 });
  const diags = r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Json);
  return { code: r.code, diags, ms: performance.now() - start, stderr: r.stderr };
}

async function expectReported(dir: string, code: string, file: string): Promise<Json> {
  const r = await check(dir);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(1);
  expect(r.ms).toBeLessThan(20_000);
  const rel = path.relative(process.cwd(), dir).split(path.sep).join('/');
  const found = r.diags.find((d) => d.code === code && d.file === `${rel}/${file}`);
  expect(found, `${code} in ${file}; got ${JSON.stringify(r.diags)}`).toBeDefined();
  expect(found!.line).toBeGreaterThanOrEqual(1);
  expect(found!.column).toBeGreaterThanOrEqual(1);
  // The rest of the repository is still checked.
  expect(r.diags.some((d) => d.code === 'VG2001' && d.file === `${rel}/hosts/ws-001.yaml` && d.line === 7)).toBe(true);
  return found!;
}

describe('vigil check on bad input', () => {
  test('malformed YAML', async () => {
    const d = await expectReported(repo({ 'bad.yaml': 'apiVersion: vigil/v1\nkind: Host\nmetadata: {name: [x\n' }), 'VG1001', 'bad.yaml');
    expect(d.line).toBeGreaterThanOrEqual(3);
  });

  test('duplicate keys', async () => {
    const d = await expectReported(repo({ 'dup.yaml': 'apiVersion: vigil/v1\nkind: Host\nkind: Host\n' }), 'VG1002', 'dup.yaml');
    expect([d.line, d.column]).toEqual([3, 1]);
  });

  test('alias bomb (billion laughs)', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    await expectReported(repo({ 'lol.yaml': levels.join('\n') + '\n' }), 'VG1003', 'lol.yaml');
  });

  test('a 50 MB file', async () => {
    const big = Buffer.alloc(50 * 1024 * 1024, 'a: b\n');
    const d = await expectReported(repo({ 'big.yaml': big }), 'VG1006', 'big.yaml');
    expect([d.line, d.column]).toEqual([1, 1]);
  });

  test('binary file', async () => {
    const d = await expectReported(repo({ 'blob.yaml': Buffer.from([0x61, 0x3a, 0x0a, 0x00, 0xff, 0xfe, 0x00]) }), 'VG1007', 'blob.yaml');
    expect(d.line).toBe(2);
  });

  test('deep nesting: 100k nested [', async () => {
    await expectReported(repo({ 'deep.yaml': '['.repeat(100_000) }), 'VG1005', 'deep.yaml');
  });

  test('deep nesting: 100k nested {', async () => {
    await expectReported(repo({ 'deep.yaml': 'a: ' + '{a: '.repeat(100_000) }), 'VG1005', 'deep.yaml');
  });

  test('wrong types', async () => {
    const d = await expectReported(repo({ 'hosts/ws-002.yaml': 'apiVersion: vigil/v1\nkind: Host\nmetadata:\n  name: ws-002\nspec:\n  hostname: [not, a, string]\n' }), 'VG2003', 'hosts/ws-002.yaml');
    expect([d.line, d.column]).toEqual([6, 13]);
  });

  test('unknown kind', async () => {
    const d = await expectReported(repo({ 'x.yaml': 'apiVersion: vigil/v1\nkind: Hots\nmetadata: {name: x}\nspec: {}\n' }), 'VG2008', 'x.yaml');
    expect([d.line, d.column]).toEqual([2, 7]);
  });

  test('empty file (a warning) next to an error', async () => {
    await expectReported(repo({ 'empty.yaml': '' }), 'VG1009', 'empty.yaml');
  });

  test('invalid UTF-8', async () => {
    const d = await expectReported(repo({ 'latin1.yaml': Buffer.from('apiVersion: vigil/v1\nkind: Host\nmetadata: {name: z\xfcrich}\n', 'latin1') }), 'VG1008', 'latin1.yaml');
    expect([d.line, d.column]).toEqual([3, 19]);
  });

  test('symlink loop', async () => {
    const dir = repo({});
    symlinkSync('..', path.join(dir, 'hosts', 'loop'));
    symlinkSync('self.yaml', path.join(dir, 'self.yaml'));
    await expectReported(dir, 'VG1011', 'hosts/loop');
    await expectReported(dir, 'VG1011', 'self.yaml');
  });

  test('a byte-order mark and CRLF line endings are no error', async () => {
    const crlf = '\ufeffapiVersion: vigil/v1\r\nkind: Host\r\nmetadata:\r\n  name: ws-003\r\nspec:\r\n  hostname: ws-003.contoso.local\r\n  locaton: x\r\n';
    const dir = path.join(ROOT, 'bom-crlf');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'ws-003.yaml'), crlf);
    const r = await check(dir);
    // Only the planted unknown field, located exactly as in an LF file without BOM.
    expect(r.diags.map((d) => [d.code, d.line, d.column])).toEqual([['VG2001', 7, 3]]);
    writeFileSync(path.join(dir, 'ws-003.yaml'), crlf.replace('  locaton: x\r\n', ''));
    const clean = await check(dir);
    expect([clean.code, clean.diags]).toEqual([0, []]);
  });
});
