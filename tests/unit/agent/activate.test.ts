import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes, sha256Hex } from '../../../runtime/bundle/canonical.js';
import { generateAgentKey, sealSecret } from '../../../runtime/bundle/seal.js';
import { prepareBundle, StateDir, type Prepared } from '../../../runtime/activate.js';
import { bundleDocument, processEvent, reconRules, WHOAMI_ID } from './fixture.js';

/** Re-validation, self-test, credentials, and the state directory's atomic pointer. */

const bytesOf = (doc: object) => canonicalBytes(doc);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-activate-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function code(doc: unknown, identity?: string): Promise<string> {
  const r = await prepareBundle(typeof doc === 'string' ? new TextEncoder().encode(doc) : bytesOf(doc as object), 1, identity);
  return 'code' in r ? r.code : 'ok';
}

describe('prepareBundle', () => {
  it('loads and self-tests a good bundle', async () => {
    const r = await prepareBundle(bytesOf(bundleDocument('g1')), 3);
    expect('code' in r).toBe(false);
    const p = r as Prepared;
    expect(p).toMatchObject({ version: 3, ruleCount: reconRules().length, selfTest: { passed: true, total: 2 } });
    const alerts: string[] = [];
    p.engine.process(processEvent('whoami.exe'), 0, (a) => alerts.push(a.kind === 'detection' ? a.rule.id : a.kind));
    expect(alerts).toEqual([WHOAMI_ID]);
  });

  it('refuses what is not a bundle this agent reads (VA2001)', async () => {
    expect(await code('{')).toBe('VA2001');
    expect(await code({ ...bundleDocument('g1'), irVersion: 99 } as object)).toBe('VA2001');
    expect(await code({ irVersion: 1, features: [], group: 'g1', content: { rules: [{ type: 'bogus' }] } })).toBe('VA2001');
    expect(await code({ irVersion: 1, features: [], group: 'g1', content: { rules: [], selfTest: [{ rule: 7 }] } })).toBe('VA2001');
  });

  it('refuses, never throws on, a document nested too deeply for its checks to walk (VA2001)', async () => {
    const rule = { type: 'detection', id: 'deep', title: 'deep', logsource: {}, attribution: {}, variants: [] };
    // A condition under 20,000 `not`s, written by hand: serializers recurse too.
    const text = `{"content":{"rules":[${JSON.stringify(rule).replace('"variants":[]', `"variants":[{"condition":${'{"arg":'.repeat(20_000)}{"field":"A","op":"field","tests":[{"t":"eq","v":"x"}]}${',"op":"not"}'.repeat(20_000)}}]`)}]},"features":[],"group":"g1","irVersion":1}`;
    const r = await prepareBundle(new TextEncoder().encode(text), 1);
    expect('code' in r && [r.code, r.message]).toEqual(['VA2001', expect.stringContaining('the bundle cannot be checked (RangeError)')]);
  });

  it('refuses a bundle whose rules the engine cannot build (VA2002)', async () => {
    const rule = { type: 'detection', id: 'bad-re', title: 'bad', logsource: {}, attribution: {}, variants: [{ condition: { op: 'field', field: 'A', tests: [{ t: 're', v: '(', flags: '' }] } }] };
    expect(await code({ irVersion: 1, features: [], group: 'g1', content: { rules: [rule] } })).toBe('VA2002');
  });

  it('refuses a bundle whose self-test fails or names a missing rule (VA2003)', async () => {
    expect(await code(bundleDocument('g1', { selfTest: [{ rule: WHOAMI_ID, events: [processEvent('whoami.exe')], match: false }] }))).toBe('VA2003');
    expect(await code(bundleDocument('g1', { selfTest: [{ rule: WHOAMI_ID, events: [processEvent('whoami.exe')], match: 2 }] }))).toBe('VA2003');
    expect(await code(bundleDocument('g1', { selfTest: [{ rule: 'no-such-rule', event: processEvent('whoami.exe') }] }))).toBe('VA2003');
  });

  it('opens sealed credentials with the agent key, and refuses when it cannot (VA2004)', async () => {
    const agentKey = await generateAgentKey();
    const other = await generateAgentKey();
    const sealed = await sealSecret('s3cret-token', [agentKey.recipient]);
    const doc = { irVersion: 1, features: [], group: 'g1', content: { rules: [], credentials: { hec: { type: 'hec-token', hecToken: { token: sealed } }, mail: { token: 'env:MAIL_TOKEN' } } } };
    const r = await prepareBundle(bytesOf(doc), 1, agentKey.identity);
    expect('code' in r ? r.code : new TextDecoder().decode((r as Prepared).credentials.get('hec.hecToken.token'))).toBe('s3cret-token');
    expect('code' in r ? 0 : (r as Prepared).credentials.size).toBe(1);
    expect(await code(doc)).toBe('VA2004');
    const wrong = await prepareBundle(bytesOf(doc), 1, other.identity);
    expect('code' in wrong && wrong.code).toBe('VA2004');
    expect('code' in wrong && wrong.message).not.toContain('s3cret');
  });
});

describe('StateDir', () => {
  async function prepared(marker: string): Promise<{ p: Prepared; bytes: Uint8Array }> {
    const bytes = bytesOf(bundleDocument('g1', { marker }));
    return { p: (await prepareBundle(bytes, 1)) as Prepared, bytes };
  }

  it('keeps the previous bundle as last-known-good, reverts to it and never reuses a bad digest', async () => {
    const state = new StateDir(path.join(dir, 's1'));
    expect(state.init()).toBeUndefined();
    const a = await prepared('a');
    const b = await prepared('b');
    state.activate(a.p, a.bytes, new Date(0));
    state.activate(b.p, b.bytes, new Date(1));
    expect(state.readPointer().pointer).toMatchObject({ current: { sha256: b.p.sha256 }, previous: { sha256: a.p.sha256 }, bad: [] });
    const back = state.revert();
    expect(back && 'sha256' in back && back.sha256).toBe(a.p.sha256);
    expect(state.readPointer().pointer).toMatchObject({ current: { sha256: a.p.sha256 }, bad: [b.p.sha256] });
  });

  it('notices a damaged bundle file and an unreadable pointer', async () => {
    const root = path.join(dir, 's2');
    const state = new StateDir(root);
    state.init();
    const a = await prepared('c');
    state.activate(a.p, a.bytes, new Date(0));
    expect(state.readBundle(a.p.sha256)).toBeDefined();
    await writeFile(path.join(root, 'bundles', `${a.p.sha256}.json`), '{"trunc');
    expect(state.readBundle(a.p.sha256)).toBeUndefined();
    await writeFile(path.join(root, 'active.json'), 'not json');
    const { pointer, problem } = state.readPointer();
    expect(pointer.current).toBeUndefined();
    expect(problem).toMatch(/unreadable/);
  });

  it('writes the pointer atomically: only complete JSON is ever in place', async () => {
    const root = path.join(dir, 's3');
    const state = new StateDir(root);
    state.init();
    const a = await prepared('d');
    state.activate(a.p, a.bytes, new Date(0));
    const text = await readFile(path.join(root, 'active.json'), 'utf8');
    expect(JSON.parse(text).current.sha256).toBe(sha256Hex(a.bytes));
  });
});
