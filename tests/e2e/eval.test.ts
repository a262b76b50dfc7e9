import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { writeFileIn } from '../helpers/files.js';
import { runCli } from '../helpers/cli.js';

/** The `vigil eval` JSON Lines contract, through the real CLI (the built bundle, dist/cli/vigil.js). */

const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (rel: string, text: string): string => writeFileIn(dir, rel, text);

const whoami = write(
  'rules/whoami.yml',
  `title: Whoami
id: 11111111-1111-4111-8111-111111111111
author: Jane Doe
license: DRL-1.1
level: medium
logsource: { product: windows, category: process_creation }
detection:
  sel:
    Image|endswith: '\\whoami.exe'
  condition: sel
`,
);
write('rules/nested/ignored-policy.yml', 'apiVersion: vigil/v1\nkind: HostGroup\nmetadata: { name: x }\nspec: {}\n');
const correlation = write(
  'corr/recon.yml',
  `title: Recon burst
id: 22222222-2222-4222-8222-222222222222
correlation:
  type: event_count
  rules: [11111111-1111-4111-8111-111111111111]
  group-by: [Computer]
  timespan: 5m
  condition: { gte: 2 }
`,
);
const bad = write('bad/bad.yml', "title: Bad\nlogsource: { product: windows }\ndetection:\n  sel:\n    Image|endswiht: x\n  condition: sel\n");

const ev = (image: string, sec: number) => ({ Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Computer: 'pc1', Image: image, '@timestamp': `2024-01-01T00:00:0${sec}Z` });
const events = [ev('C:\\Windows\\System32\\whoami.exe', 1), ev('C:\\Windows\\System32\\cmd.exe', 2), ev('C:\\Windows\\System32\\WHOAMI.EXE', 3)];
const lines = (stdout: string) => stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('vigil eval', () => {
  test('JSON Lines in, one JSON object per match out, with attribution', async () => {
    const file = write('events.jsonl', events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = await runCli(['eval', '--rules', path.join(dir, 'rules'), '--events', file, '--pipeline', 'windows']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      { type: 'detection', rule: '11111111-1111-4111-8111-111111111111', title: 'Whoami', level: 'medium', event: 0, attribution: { author: 'Jane Doe', license: 'DRL-1.1', source: expect.stringContaining('whoami.yml') } },
      { type: 'detection', rule: '11111111-1111-4111-8111-111111111111', title: 'Whoami', level: 'medium', event: 2, attribution: expect.any(Object) },
    ]);
  });
  test('a JSON array and concatenated pretty objects give the same matches', async () => {
    const array = write('events.json', JSON.stringify(events, null, 2));
    const concat = write('events-concat.json', events.map((e) => JSON.stringify(e, null, 2)).join('\n'));
    for (const file of [array, concat]) {
      const r = await runCli(['eval', '--rules', whoami, '--events', file]);
      expect(r.code).toBe(0);
      expect(lines(r.stdout).map((o) => o.event)).toEqual([0, 2]);
    }
  });
  test('stdin with -', async () => {
    const r = await runCli(['eval', '--rules', whoami, '--events', '-'], { input: events.map((e) => JSON.stringify(e)).join('\n') });
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((o) => o.event)).toEqual([0, 2]);
  });
  test('a malformed event is reported by index on stderr and skipped', async () => {
    const file = write('broken.jsonl', [JSON.stringify(events[0]), '{"Image": ', JSON.stringify(events[2])].join('\n'));
    const r = await runCli(['eval', '--rules', whoami, '--events', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/event 1 skipped/);
    expect(lines(r.stdout).map((o) => o.event)).toEqual([0, 2]);
  });
  test('no match still exits 0 with empty output', async () => {
    const file = write('none.jsonl', JSON.stringify(events[1]) + '\n');
    const r = await runCli(['eval', '--rules', whoami, '--events', file]);
    expect([r.code, r.stdout]).toEqual([0, '']);
  });
  test('an invalid rule exits 1 with a diagnostic naming the file, line and column', async () => {
    const file = write('one.jsonl', JSON.stringify(events[0]) + '\n');
    const r = await runCli(['eval', '--rules', whoami, bad, '--events', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/bad\.yml:5:11: error\[VG6001\]: unknown value modifier `endswiht`/);
  });
  test('correlation alerts carry the group and the events that formed them', async () => {
    const file = write('corr.jsonl', events.map((e) => JSON.stringify(e)).join('\n'));
    const r = await runCli(['eval', '--rules', whoami, correlation, '--events', file, '--pipeline', 'windows']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toMatchObject([{ type: 'correlation', rule: '22222222-2222-4222-8222-222222222222', correlation: 'event_count', group: { Computer: 'pc1' }, events: [0, 2], value: 2 }]);
  });
  test('usage errors exit 2', async () => {
    expect((await runCli(['eval', '--events', '-'])).code).toBe(2);
    const r = await runCli(['eval', '--rules', whoami, '--events', '-', '--pipeline', 'no-such-pipeline']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('VG6017');
  });
});
