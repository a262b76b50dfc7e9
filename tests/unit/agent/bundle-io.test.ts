import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startBundleIo, type BundleIo } from '../../../runtime/bundle-io.js';
import type { SourcedEvent } from '../../../runtime/sources/event-sink.js';
import type { Problem } from '../../../runtime/sources/problems.js';
import { openStore, type Store } from '../../../runtime/state/store.js';
import { tempDir } from '../actions/helpers.js';

/**
 * The sources and actions of a bundle's content, started by the agent on activation: what runs,
 * what cannot start (reported with a code, never thrown), and what a stop leaves behind.
 */

const cleanups: (() => void)[] = [];
const running: BundleIo[] = [];
afterEach(async () => {
  for (const io of running.splice(0)) await io.stop(0);
  for (const c of cleanups.splice(0)) c();
});

function setup(): { dir: string; store: Store; events: SourcedEvent[]; problems: Problem[]; lines: string[]; start: (content: Record<string, unknown>, env?: NodeJS.ProcessEnv) => Promise<BundleIo> } {
  const { dir, cleanup } = tempDir('vigil-bundle-io-');
  const store = openStore(path.join(dir, 'state'));
  cleanups.push(() => store.close(), cleanup);
  const events: SourcedEvent[] = [];
  const problems: Problem[] = [];
  const lines: string[] = [];
  const stdout = new PassThrough();
  stdout.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  const start = async (content: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
    const io = await startBundleIo(content, { store, sink: (b) => void events.push(...b), stdout, report: (p) => problems.push(p), log: () => undefined, env, receiverPort: 0 });
    running.push(io);
    return io;
  };
  return { dir, store, events, problems, lines, start };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
};

// evaluationNice 0: the default (19) would lower this test process's own thread for the rest of the file.
const receiver = (name: string) => ({ name, spec: { type: 'http-receiver', httpReceiver: { port: 0, tokens: ['tok'], sources: ['fw'], evaluationNice: 0 } } });
const fw = { name: 'fw', spec: { type: 'http', fieldMappings: { srcip: 'src_ip' } } };
const tok = { tok: { type: 'hec-token', hecToken: { token: 'env:HEC_TOKEN' } } };
const env = { HEC_TOKEN: 'secret-value' };

describe('startBundleIo', () => {
  it('follows a JSON Lines LogSource and delivers through an alert action', async () => {
    const s = setup();
    const logs = path.join(s.dir, 'logs');
    mkdirSync(logs);
    appendFileSync(path.join(logs, 'app.log'), '{"a":1}\n{"a":2}\n');
    const io = await s.start({
      logSources: [{ name: 'app', spec: { type: 'jsonl', paths: [path.join(logs, 'app.log')], fieldMappings: { a: 'b' }, pollInterval: '50ms' } }],
      actions: [{ name: 'out', spec: { type: 'alert', alert: { output: 'stdout' } } }],
    });
    await until(() => s.events.length >= 2);
    expect(s.events.map((e) => [e.source, e.event])).toEqual([['app', { b: 1 }], ['app', { b: 2 }]]);
    expect(io.hasActions).toBe(true);
    io.dispatch({ rule: 'r1', level: 'high', matched: { b: 1 } });
    await until(() => s.lines.length >= 1);
    // The stdout form leaves the matched event out.
    expect(JSON.parse(s.lines[0]!)).toEqual({ rule: 'r1', level: 'high' });
    expect(io.status()).toEqual({ sources: [{ name: 'app', type: 'jsonl', state: 'running' }], actions: [{ name: 'out', type: 'alert', state: 'running' }] });
  });

  it('reports parts that cannot start and runs the rest', async () => {
    const s = setup();
    const io = await s.start({
      services: [
        { name: 'rx', spec: { type: 'http-receiver', httpReceiver: { port: 0, tokens: ['missing-token'], sources: ['fw'] } } },
        { name: 'signing', spec: { type: 'log-signing', logSigning: { directory: '/x', interval: '1m', key: 'env:K' } } },
      ],
      logSources: [fw, { name: 'tenants', spec: { type: 'azure-signin', credentials: [{ credential: 'nope' }] } }],
      actions: [
        { name: 'hook', spec: { type: 'http', http: { url: 'http://127.0.0.1:9/x', credential: 'client' } } },
        { name: 'out', spec: { type: 'alert' } },
      ],
      credentials: { 'missing-token': { type: 'hec-token', hecToken: { token: 'env:NOT_SET_ANYWHERE' } }, client: { type: 'oauth2-client', oauth2Client: { tokenUrl: 'http://127.0.0.1:9/t', clientId: 'c', clientSecret: 'env:NOT_SET_EITHER' } } },
    });
    const st = io.status();
    expect(st.sources.map((p) => [p.name, p.state, p.error?.slice(0, 6)])).toEqual([['rx', 'failed', 'VS1011'], ['signing', 'not-run', undefined], ['tenants', 'failed', 'VS1011']]);
    expect(st.actions.map((p) => [p.name, p.state])).toEqual([['hook', 'failed'], ['out', 'running']]);
    expect(st.sources[0]!.error).toMatch(/NOT_SET_ANYWHERE/);
    expect(s.problems.map((p) => p.code).sort()).toEqual(['VS1011', 'VS1011', 'VS2003']);
  });

  it('runs one receiver, refuses a second, and leaves acknowledged events in the spool across a stop', async () => {
    const s = setup();
    let block = true;
    const io = await startBundleIo({ services: [receiver('rx1'), receiver('rx2')], logSources: [fw], credentials: tok }, {
      store: s.store, sink: () => (block ? new Promise<void>(() => undefined) : undefined), stdout: new PassThrough(), report: (p) => s.problems.push(p), log: () => undefined, receiverPort: 0, env,
    });
    const [rx1, rx2] = io.status().sources;
    expect(rx1).toMatchObject({ name: 'rx1', state: 'running' });
    expect(rx2).toMatchObject({ name: 'rx2', state: 'failed' });
    const url = io.receivers[0]!.url;
    const res = await fetch(`${url}/services/collector/event`, { method: 'POST', headers: { Authorization: `Splunk ${env.HEC_TOKEN}` }, body: '{"event":{"srcip":"10.0.0.1"}}' });
    expect(res.status).toBe(200);
    await io.stop(0);
    // The next bundle's receiver delivers what the first acknowledged (it stayed spooled).
    block = false;
    const next = await s.start({ services: [receiver('rx1')], logSources: [fw], credentials: tok }, env);
    expect(next.status().sources[0]!.state).toBe('running');
    await until(() => s.events.length >= 1);
    expect(s.events.map((e) => e.event)).toEqual([{ src_ip: '10.0.0.1' }]);
  }, 20_000);
});
