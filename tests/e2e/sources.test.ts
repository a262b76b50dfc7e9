import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

/**
 * File sources in a real child process (built code in dist/): a JSON Lines log and a W3C (IIS)
 * log followed in follow mode, the process killed with SIGKILL and restarted on the same state;
 * lines appended and files rotated in between are all read, none twice.
 */

const dist = (p: string) => pathToFileURL(path.join(REPO_ROOT, 'dist', p)).href;

const SCRIPT = `
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { createFileSource } from '${dist('runtime/sources/file-source.js')}';
import { readJsonlStream } from '${dist('runtime/sources/jsonl.js')}';
import { openStore } from '${dist('runtime/state/store.js')}';
const [dir, mode] = process.argv.slice(2);
const out = path.join(dir, 'out.jsonl');
const problems = path.join(dir, 'problems.jsonl');
const report = (p) => appendFileSync(problems, JSON.stringify(p) + '\\n');
if (mode === 'stdin') {
  await readJsonlStream(process.stdin, 'stdin', (rows) => appendFileSync(out, rows.map((r) => JSON.stringify(r.event) + '\\n').join('')), report);
  process.exit(0);
}
const store = openStore(path.join(dir, 'state'));
const sink = (batch) => appendFileSync(out, batch.map((e) => JSON.stringify({ source: e.source, line: e.line, ...e.event }) + '\\n').join(''));
const app = createFileSource({ apiVersion: 'vigil/v1', kind: 'LogSource', metadata: { name: 'app' }, spec: { type: 'jsonl', paths: [path.join(dir, 'logs', 'app.log')] } }, undefined, { store, sink, report });
const iis = createFileSource(
  { apiVersion: 'vigil/v1', kind: 'LogSource', metadata: { name: 'iis' }, spec: { type: 'file', paths: [path.join(dir, 'logs', 'u_ex*.log')], format: 'iis' } },
  { apiVersion: 'vigil/v1', kind: 'LogFormat', metadata: { name: 'iis' }, spec: { type: 'w3c', columns: [{ name: 'sc-status', type: 'int' }], timestamp: { field: 'date' } } },
  { store, sink, report },
);
for (;;) {
  await app.poll();
  await iis.poll();
  process.stdout.write('polled\\n');
  await new Promise((r) => setTimeout(r, 30));
}
`;

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-src-e2e-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'follow.mjs'), SCRIPT);
  return dir;
}

/** Starts the follower and resolves after it completed `polls` polls. */
function start(dir: string): { child: ChildProcess; polls: () => number } {
  const child = spawn(process.execPath, [path.join(dir, 'follow.mjs'), dir, 'follow'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let polls = 0;
  child.stdout!.on('data', (d: Buffer) => (polls += d.toString().split('polled').length - 1));
  return { child, polls: () => polls };
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

const read = (dir: string, name = 'out.jsonl') => (existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : []);

describe('file sources in a child process', () => {
  it('follows JSON Lines and W3C logs across SIGKILL restarts, appends and rotation, with malformed lines reported', async () => {
    const dir = setup();
    const logs = path.join(dir, 'logs');
    const app = path.join(logs, 'app.log');
    const iis = path.join(logs, 'u_ex240501.log');
    mkdirSync(logs);
    writeFileSync(app, '{"n":1}\n{oops\n{"n":2}\n');
    writeFileSync(iis, '#Software: Microsoft Internet Information Services 10.0\n#Fields: date time cs-method cs-uri-stem sc-status\n2024-05-01 00:00:01 GET /a 200\n');

    let run = start(dir);
    await until(() => read(dir).length >= 3);
    appendFileSync(app, '{"n":3}\n');
    await until(() => read(dir).length >= 4);
    await new Promise<void>((r) => (run.child.once('exit', () => r()), run.child.kill('SIGKILL')));

    // While the agent is down: more lines, a rotation, and a new IIS line.
    appendFileSync(app, '{"n":4}\n');
    renameSync(app, path.join(logs, 'app.log.1'));
    writeFileSync(app, '{"n":5}\n');
    appendFileSync(iis, '2024-05-01 00:00:02 POST /b 500\n');

    run = start(dir);
    await until(() => read(dir).length >= 7 && run.polls() >= 2);
    await until(() => run.polls() >= 3);
    const events = read(dir);
    const appEvents = events.filter((e) => e.source === 'app').map((e) => e.n);
    const iisEvents = events.filter((e) => e.source === 'iis');
    // n=4 went to the file that rotated away (app.log.1, no longer matched) while the agent was down.
    expect(appEvents).toEqual([1, 2, 3, 4, 5]);
    expect(iisEvents.map((e) => [e['cs-uri-stem'], e['sc-status'], e['@timestamp']])).toEqual([['/a', 200, '2024-05-01T00:00:01.000Z'], ['/b', 500, '2024-05-01T00:00:02.000Z']]);
    expect(read(dir, 'problems.jsonl').map((p) => [p.code, p.line])).toEqual([['VS1001', 2]]);
  });

  it('reads JSON Lines from stdin', async () => {
    const dir = setup();
    const child = spawn(process.execPath, [path.join(dir, 'follow.mjs'), dir, 'stdin'], { stdio: ['pipe', 'ignore', 'inherit'] });
    children.push(child);
    child.stdin!.end('{"a":1}\nnot json\n{"a":2}\n');
    await new Promise<void>((r) => child.once('exit', () => r()));
    expect(read(dir)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(read(dir, 'problems.jsonl').map((p) => [p.code, p.line])).toEqual([['VS1001', 2]]);
  });
});
