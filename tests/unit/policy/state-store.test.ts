import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { MemoryStateStore, type StateStore } from '../../../runtime/engine/policy-state.js';
import { openEngineState } from '../../../runtime/state/engine-state.js';
import { makeKeyReader, makeTupleReader } from '../../../runtime/engine/event-keys.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-state-store-'));
const sqlite = openEngineState(dir);
afterAll(() => {
  sqlite.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['memory', () => new MemoryStateStore() as StateStore],
  ['sqlite', () => {
    sqlite.store.db.exec('DELETE FROM engine_state');
    return sqlite.store as StateStore;
  }],
])('%s state store', (_name, make) => {
  test('put, get, overwrite, delete, count per space', () => {
    const s = make();
    s.put('score', 'p', 'k1', 'a', 10);
    s.put('score', 'p', 'k1', 'b', 20);
    s.put('seen', 'p', 'k1', 'c', Number.POSITIVE_INFINITY);
    expect([s.get('score', 'p', 'k1'), s.get('seen', 'p', 'k1'), s.get('chain', 'p', 'k1')]).toEqual(['b', 'c', undefined]);
    expect([s.count(), s.count('score'), s.count('chain')]).toEqual([2, 1, 0]);
    s.delete('score', 'p', 'k1');
    expect(s.get('score', 'p', 'k1')).toBeUndefined();
  });

  test('evict removes entries expiring before the time, never baselines; entries are sorted', () => {
    const s = make();
    s.put('score', 'b', 'x', '1', 100);
    s.put('score', 'a', 'y', '2', 99);
    s.put('score', 'a', 'x', '3', 101);
    s.put('seen', 'a', 'z', '4', Number.POSITIVE_INFINITY);
    expect(s.entries('score').map((e) => `${e.policy}/${e.key}`)).toEqual(['a/x', 'a/y', 'b/x']);
    expect(s.entries('score', 'a').map((e) => e.key)).toEqual(['x', 'y']);
    expect(s.evict(100)).toBe(1);
    expect(s.evict(1e15)).toBe(2);
    expect(s.entries('seen')).toEqual([{ space: 'seen', policy: 'a', key: 'z', value: '4', expires: Number.POSITIVE_INFINITY }]);
  });
});

describe('key fields', () => {
  test('host and user are normalised across event layouts', () => {
    const host = makeKeyReader('host');
    expect(host({ Hostname: 'WS1' })).toBe('WS1');
    expect(host({ Event: { System: { Computer: 'WS2' } } })).toBe('WS2');
    expect(host({ host: { name: 'ws3' } })).toBe('ws3');
    expect(host({ Hostname: '' })).toBeUndefined();
    const user = makeKeyReader('user');
    expect(user({ User: 'CONTOSO\\bob' })).toBe('CONTOSO\\bob');
    expect(user({ TargetDomainName: 'CONTOSO', TargetUserName: 'amy' })).toBe('CONTOSO\\amy');
    expect(user({ TargetUserName: 'amy', TargetDomainName: '-' })).toBe('amy');
    expect(user({ SubjectUserName: 'svc' })).toBe('svc');
    expect(user({ TargetUserName: '-' })).toBeUndefined();
  });

  test('a tuple needs every field', () => {
    const read = makeTupleReader(['host', 'Image']);
    expect(read({ Hostname: 'A', Image: 'x.exe' })).toEqual({ host: 'A', Image: 'x.exe' });
    expect(read({ Hostname: 'A' })).toBeUndefined();
    expect(makeKeyReader('EventID')({ EventID: 4624 })).toBe('4624');
  });
});
