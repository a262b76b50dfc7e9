import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { streamDeliverer } from '../../../runtime/actions/alert.js';
import { fileDeliverer } from '../../../runtime/actions/file.js';
import { processDeliverer } from '../../../runtime/actions/process.js';
import { PassThrough } from 'node:stream';
import { tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).reverse().forEach((c) => c()));
function dir() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('alert action', () => {
  it('writes one JSON line per alert', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const deliver = streamDeliverer(out);
    await deliver({ rule: 'a', event: 0 });
    await deliver({ rule: 'b', event: 3 });
    expect(text).toBe('{"rule":"a","event":0}\n{"rule":"b","event":3}\n');
  });
});

describe('file action', () => {
  it('appends alerts with their matched events, rotates by size, keeps maxFiles and reports closed files', async () => {
    const d = dir();
    const file = path.join(d, 'out', 'alerts.jsonl');
    const closed: string[] = [];
    let now = Date.UTC(2024, 0, 1);
    const deliver = fileDeliverer({ path: file, rotate: { maxSizeMb: 200 / (1024 * 1024), maxFiles: 2 } }, { onClose: (p) => void closed.push(path.basename(p)), now: () => (now += 1000) });
    for (let i = 0; i < 8; i++) await deliver({ rule: `r${i}`, matched: { CommandLine: 'x'.repeat(60) } });
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toEqual({ rule: 'r7', matched: { CommandLine: 'x'.repeat(60) } });
    expect(closed.length).toBeGreaterThanOrEqual(3);
    expect(closed.every((n) => /^alerts\.\d{8}T\d{6}Z\.jsonl$/.test(n))).toBe(true);
    const rotated = readdirSync(path.join(d, 'out')).filter((n) => n !== 'alerts.jsonl');
    expect(rotated).toEqual(closed.slice(-2));
  });

  it('rotates by age', async () => {
    const file = path.join(dir(), 'a.jsonl');
    let now = Date.UTC(2024, 0, 1);
    const closed: string[] = [];
    const deliver = fileDeliverer({ path: file, rotate: { every: '1d' } }, { onClose: (p) => void closed.push(path.basename(p)), now: () => now });
    await deliver({ rule: 'day1' });
    now += 86_400_000;
    await deliver({ rule: 'day2' });
    expect(closed).toEqual(['a.20240101T000000Z.jsonl']);
    expect(readFileSync(file, 'utf8')).toBe('{"rule":"day2"}\n');
  });
});

describe('file action: whole lines, nothing lost', () => {
  it('keeps every closed file when two rotations fall in the same second', async () => {
    const d = dir();
    const file = path.join(d, 'alerts.jsonl');
    const closed: string[] = [];
    const deliver = fileDeliverer({ path: file, rotate: { maxSizeMb: 40 / (1024 * 1024) } }, { onClose: (p) => void closed.push(path.basename(p)), now: () => Date.UTC(2024, 0, 1) });
    for (let i = 0; i < 4; i++) await deliver({ rule: `r${i}`, pad: 'x'.repeat(20) });
    expect(closed).toEqual(['alerts.20240101T000000Z.jsonl', 'alerts.20240101T000000Z-1.jsonl', 'alerts.20240101T000000Z-2.jsonl']);
    const all = [...closed, 'alerts.jsonl'].flatMap((n) => readFileSync(path.join(d, n), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { rule: string }).rule));
    expect(all.sort()).toEqual(['r0', 'r1', 'r2', 'r3']);
  });

  it('cuts a torn last line (a crash mid-write) before appending, so every line parses', async () => {
    const file = path.join(dir(), 'alerts.jsonl');
    writeFileSync(file, '{"rule":"whole"}\n{"rule":"cut sho');
    await fileDeliverer({ path: file })({ rule: 'after' });
    expect(readFileSync(file, 'utf8')).toBe('{"rule":"whole"}\n{"rule":"after"}\n');
  });

  it('serializes two actions that write the same file, and makes a removed directory again', async () => {
    const d = dir();
    const file = path.join(d, 'sub', 'alerts.jsonl');
    const a = fileDeliverer({ path: file });
    const b = fileDeliverer({ path: path.join(d, 'sub', '.', 'alerts.jsonl') });
    const big = 'y'.repeat(700 * 1024);
    await Promise.all([a({ rule: 'a', pad: big }), b({ rule: 'b', pad: big }), a({ rule: 'a2' })]);
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { rule: string }).rule)).toEqual(['a', 'b', 'a2']);
    rmSync(path.join(d, 'sub'), { recursive: true });
    await a({ rule: 'again' });
    expect(readFileSync(file, 'utf8')).toBe('{"rule":"again"}\n');
  });
});

describe('process action', () => {
  it('runs the program with an argument array and the alert on stdin (no shell)', async () => {
    const d = dir();
    const out = path.join(d, 'got.txt');
    const script = `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>require('fs').writeFileSync(process.argv[1], process.argv[2] + '|' + s))`;
    const deliver = processDeliverer({ command: process.execPath, args: ['-e', script, out, '$(touch pwned); echo hi'] });
    await deliver({ rule: 'r1' });
    expect(readFileSync(out, 'utf8')).toBe('$(touch pwned); echo hi|{"rule":"r1"}\n');
    expect(existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
  });

  it('fails on a non-zero exit or a timeout, and refuses a relative command', async () => {
    await expect(processDeliverer({ command: process.execPath, args: ['-e', 'process.exit(3)'] })({ rule: 'r' })).rejects.toThrow('exited with 3');
    await expect(processDeliverer({ command: process.execPath, args: ['-e', 'setTimeout(()=>{},10000)'], timeout: '200ms' })({ rule: 'r' })).rejects.toThrow(/killed/);
    expect(() => processDeliverer({ command: 'node' })).toThrow('absolute path');
  });

  it('kills what the program started too, and never waits on a child that holds its stderr', async () => {
    // The program starts a child that inherits its stderr and outlives it by far.
    const script = "require('child_process').spawn(process.execPath, ['-e', 'setTimeout(()=>{},20000)'], { stdio: ['ignore', 'ignore', 'inherit'] }); setTimeout(()=>{}, 20000)";
    const started = Date.now();
    await expect(processDeliverer({ command: process.execPath, args: ['-e', script], timeout: '300ms' })({ rule: 'r' })).rejects.toThrow(/killed by SIGKILL/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
