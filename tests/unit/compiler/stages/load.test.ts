import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { compile } from '../../../../compiler/index.js';
import { decode, firstInvalidUtf8 } from '../../../../compiler/stages/decode.js';
import { codesOf, compileFiles, HOST, tempRepo } from '../fixture.js';

describe('load', () => {
  test('reads .yml and .yaml files recursively, sorted, skipping hidden folders and node_modules', async () => {
    const r = await compileFiles({ 'b/h.yaml': HOST('b'), 'a.yml': HOST('a'), 'x.txt': 'no', '.github/w.yml': 'on: push\n', 'node_modules/m.yaml': 'x: [' }, 'load');
    expect([...r.sources.keys()]).toEqual(['a.yml', 'b/h.yaml']);
    expect(r.report.diagnostics).toEqual([]);
  });

  test('reports a directory without policy files (VG1013) and a missing directory (VG1012, fatal)', async () => {
    expect(codesOf(await compileFiles({ 'README.md': 'x' }, 'load'))).toEqual(['VG1013 ']);
    const missing = await compile({ dir: '/no/such/vigil/dir' });
    expect(missing.ok).toBe(false);
    expect(missing.ok === false && missing.fatal).toBe(true);
    expect(codesOf(missing)).toEqual(['VG1012 ']);
  });

  test('reports symlink loops and keeps reading the rest', async () => {
    const dir = tempRepo({ 'h/a.yaml': HOST('a') });
    symlinkSync('..', path.join(dir, 'h', 'up'));
    const r = await compile({ dir }, { until: 'load' });
    expect(codesOf(r)).toEqual(['VG1011 h/up']);
    expect([...r.sources.keys()]).toEqual(['h/a.yaml']);
  });

  test('follows symlinked files and directories, and spots a loop below plain directories', async () => {
    const dir = tempRepo({ 'a/b/c/h.yaml': HOST('c'), 'shared/s.yaml': HOST('s') });
    symlinkSync('../../../a', path.join(dir, 'a', 'b', 'c', 'back'));
    symlinkSync('../shared', path.join(dir, 'a', 'linked'));
    symlinkSync('shared/s.yaml', path.join(dir, 'top.yaml'));
    const r = await compile({ dir }, { until: 'load' });
    expect(codesOf(r)).toEqual(['VG1011 a/b/c/back']);
    expect([...r.sources.keys()]).toEqual(['a/b/c/h.yaml', 'a/linked/s.yaml', 'shared/s.yaml', 'top.yaml']);
    expect(r.sources.get('top.yaml')!.text).toBe(HOST('s'));
  });

  test('reads a git ref from the object store, with the same size limit', async () => {
    const dir = tempRepo({ 'h.yaml': HOST('h'), 'big.yaml': 'a: 1\n'.repeat(100) });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
    git('init', '-q');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'one');
    writeFileSync(path.join(dir, 'h.yaml'), 'changed in the working tree only');
    const r = await compile({ dir, ref: 'HEAD' }, { until: 'load', maxFileBytes: 100 });
    expect(codesOf(r)).toEqual(['VG1006 big.yaml']);
    expect(r.sources.get('h.yaml')!.text).toBe(HOST('h'));
    expect(r.sources.get('h.yaml')!.origin.kind).toBe('git');
  });

  test('gives each file its text (byte-order mark dropped, CRLF kept) and the digest of its bytes, and reports binary and invalid UTF-8', async () => {
    const bom = Buffer.from('\ufeffa: 1\r\nb: ü\r\n', 'utf8');
    const r = await compile({ dir: tempRepo({ 'bom.yaml': bom, 'nul.yaml': Buffer.from([0x61, 0x00]), 'bad.yaml': Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x28]) }) }, { until: 'load' });
    expect(codesOf(r)).toEqual(['VG1008 bad.yaml', 'VG1007 nul.yaml']);
    const source = r.sources.get('bom.yaml')!;
    expect(source.text).toBe('a: 1\r\nb: ü\r\n');
    expect(source.digest).toBe(createHash('sha256').update(bom).digest('hex'));
    expect({ ...source }).toMatchObject({ path: 'bom.yaml', text: 'a: 1\r\nb: ü\r\n' });
  });

  test('reports files over the size limit without reading them', async () => {
    const r = await compile({ dir: tempRepo({ 'big.yaml': 'a: 1\n'.repeat(100) }) }, { until: 'load', maxFileBytes: 100 });
    expect(codesOf(r)).toEqual(['VG1006 big.yaml']);
  });
});

describe('decode', () => {
  test('drops a byte-order mark and keeps CRLF', () => {
    const d = decode(Buffer.from('\ufeffa: 1\r\n'));
    expect(d.ok && d.text).toBe('a: 1\r\n');
  });

  test('locates the first invalid UTF-8 byte as a text offset', () => {
    const bytes = Buffer.from([0x61, 0xc3, 0xa9, 0x0a, 0x62, 0xff, 0x63]);
    expect(firstInvalidUtf8(bytes)).toBe(5);
    const d = decode(bytes);
    expect(d.ok).toBe(false);
    expect(!d.ok && [d.problem, d.byte, d.offset]).toEqual(['invalid-utf8', 5, 4]);
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
    expect(firstInvalidUtf8(Buffer.from('ok €', 'utf8'))).toBe(6);
  });

  test('treats a NUL byte as binary', () => {
    const d = decode(Buffer.from([0x61, 0x0a, 0x00]));
    expect(!d.ok && [d.problem, d.offset]).toEqual(['binary', 2]);
  });
});
