import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { baselineCommand } from '../../../bin/commands/baseline.js';
import { UsageError } from '../../../bin/command.js';
import { GlobalBaseline } from '../../../runtime/collector/baseline.js';
import { SqliteBaselinePersistence } from '../../../runtime/collector/baseline-sqlite.js';
import { openStore } from '../../../runtime/state/store.js';
import { memoryIo } from '../../helpers/memory-io.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-baseline-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil baseline export', () => {
  test('prints the stored baseline, whole or one relationship', async () => {
    const store = openStore(path.join(dir, 'collector'));
    const b = new GlobalBaseline(new SqliteBaselinePersistence(store.db));
    b.observe('p', 'parent-child', { ParentImage: 'cmd.exe', Image: 'calc.exe' }, 'A', 0);
    b.observe('d', 'process-dll', { Image: 'a.exe', ImageLoaded: 'x.dll' }, 'B', 0);
    store.close();
    const io = memoryIo(dir);
    expect(await baselineCommand.run(['export', '--state', 'collector'], io)).toBe(0);
    const all = JSON.parse(io.stdout.text) as { relationships: Record<string, unknown[]> };
    expect(all.relationships['parent-child']).toMatchObject([{ parent: 'cmd.exe', child: 'calc.exe', hosts: ['A'] }]);
    expect(all.relationships['process-dll']).toMatchObject([{ process: 'a.exe', dll: 'x.dll', hosts: ['B'] }]);
    const one = memoryIo(dir);
    expect(await baselineCommand.run(['export', '--state', 'collector', '--relationship', 'process-dll'], one)).toBe(0);
    expect(Object.keys((JSON.parse(one.stdout.text) as { relationships: object }).relationships)).toEqual(['process-dll']);
  });

  test('a missing state is an error; bad arguments are usage errors', async () => {
    const io = memoryIo(dir);
    expect(await baselineCommand.run(['export', '--state', 'nowhere'], io)).toBe(1);
    expect(io.stderr.text).toMatch(/no state database/);
    await expect(baselineCommand.run(['export'], memoryIo(dir))).rejects.toThrow(UsageError);
    await expect(baselineCommand.run(['show', '--state', 'x'], memoryIo(dir))).rejects.toThrow(UsageError);
    await expect(baselineCommand.run(['export', '--state', 'collector', '--relationship', 'x'], memoryIo(dir))).rejects.toThrow(UsageError);
  });
});
