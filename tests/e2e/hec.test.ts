import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

/**
 * The receiver in a real child process (built code in dist/), killed with SIGKILL while it holds
 * acknowledged events, then restarted on the same state directory: every event that got a 200
 * must reach the sink of the next process.
 */

const TOKEN = 'e2e-token-0f3e4d5c';
const dist = (p: string) => pathToFileURL(path.join(REPO_ROOT, 'dist', p)).href;

/** The child: a receiver whose sink appends events to out.jsonl (or blocks when BLOCK=1). */
const SCRIPT = `
import { appendFileSync } from 'node:fs';
import { startHecReceiver } from '${dist('runtime/sources/hec.js')}';
import { openStore } from '${dist('runtime/state/store.js')}';
const [stateDir, out, port] = process.argv.slice(2);
const store = openStore(stateDir);
const source = { apiVersion: 'vigil/v1', kind: 'LogSource', metadata: { name: 'fw' }, spec: { type: 'http', fieldMappings: { srcip: 'src_ip' } } };
const sink = async (batch) => {
  if (process.env.BLOCK === '1') return new Promise(() => {});
  appendFileSync(out, batch.map((e) => JSON.stringify(e.event) + '\\n').join(''));
};
const hec = await startHecReceiver({ port: Number(port), tokens: [process.env.HEC_TOKEN], sources: [{ source }], queueSize: 100000 }, sink, store);
process.stdout.write('listening ' + hec.port + '\\n');
`;

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function start(dir: string, port: number, env: Record<string, string> = {}): Promise<{ child: ChildProcess; port: number }> {
  const script = path.join(dir, 'receiver.mjs');
  if (!existsSync(script)) writeFileSync(script, SCRIPT);
  const child = spawn(process.execPath, [script, path.join(dir, 'state'), path.join(dir, 'out.jsonl'), String(port)], { env: { ...process.env, HEC_TOKEN: TOKEN, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let text = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /listening (\d+)/.exec(text);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`receiver exited with ${code}: ${err}`)));
  });
}

function post(port: number, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/services/collector/event', method: 'POST', agent: false, headers: { Authorization: `Splunk ${TOKEN}`, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    // A request cut off by the kill counts as not acknowledged.
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function delivered(dir: string): number[] {
  const file = path.join(dir, 'out.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { n: number }).n);
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
}

const batch = (from: number, count: number) => Array.from({ length: count }, (_, i) => JSON.stringify({ event: { n: from + i, srcip: '10.0.0.1' } })).join('\n');

describe('HEC receiver in a child process', () => {
  it('delivers events acknowledged before a SIGKILL after the restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-hec-e2e-'));
    dirs.push(dir);
    const first = await start(dir, 0, { BLOCK: '1' });
    expect(await post(first.port, batch(0, 5))).toBe(200);
    expect(await post(first.port, batch(5, 5))).toBe(200);
    await kill(first.child);
    expect(delivered(dir)).toEqual([]);
    await start(dir, 0);
    await until(() => delivered(dir).length >= 10);
    expect(delivered(dir)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const line = JSON.parse(readFileSync(path.join(dir, 'out.jsonl'), 'utf8').split('\n')[0]!);
    expect(line).toEqual({ n: 0, src_ip: '10.0.0.1' });
  });

  it('loses no acknowledged event when killed in the middle of a flood', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-hec-e2e-'));
    dirs.push(dir);
    const first = await start(dir, 0);
    const acknowledged: number[] = [];
    let next = 0;
    const sender = async () => {
      for (;;) {
        const from = next;
        next += 20;
        const status = await post(first.port, batch(from, 20));
        if (status === 200) for (let i = 0; i < 20; i++) acknowledged.push(from + i);
        else return;
      }
    };
    const senders = Array.from({ length: 8 }, () => sender());
    await until(() => acknowledged.length >= 2000);
    await kill(first.child);
    await Promise.all(senders);
    expect(acknowledged.length).toBeGreaterThanOrEqual(2000);
    await start(dir, 0);
    const want = new Set(acknowledged);
    await until(() => {
      const got = new Set(delivered(dir));
      return [...want].every((n) => got.has(n));
    });
    const got = new Set(delivered(dir));
    expect([...want].filter((n) => !got.has(n))).toEqual([]);
  });
});
