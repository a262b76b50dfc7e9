import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { writeFileIn } from '../helpers/files.js';

/** `vigil eval --rules DIR` over a whole policy repository, through the real CLI. */

const MSP = path.join(REPO_ROOT, 'examples/msp');
const SCENARIO = path.join(MSP, 'events/recon-scenario.jsonl');
const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-eval-repo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (rel: string, text: string): string => writeFileIn(dir, rel, text);

type Line = Record<string, unknown> & { type: string; rule: string };
const parse = (stdout: string): Line[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

const repo = path.join(dir, 'repo');
write('repo/rules/whoami.yml', `title: whoami\nid: 11111111-1111-4111-8111-111111111111\nlogsource: { category: process_creation, product: windows }\ndetection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\nlevel: low\n`);
write('repo/rules/nltest.yml', `title: nltest\nid: 22222222-2222-4222-8222-222222222222\nlogsource: { category: process_creation, product: windows }\ndetection:\n  sel:\n    Image|endswith: '\\nltest.exe'\n  condition: sel\nlevel: medium\n`);
write('repo/filters/sysmon-1.yaml', `apiVersion: vigil/v1\nkind: Filter\nmetadata:\n  name: sysmon-1\nspec:\n  channels: [Microsoft-Windows-Sysmon/Operational]\n  eventIds: [1]\n`);
write('repo/chains/whoami-nltest.yaml', `apiVersion: vigil/v1\nkind: Chain\nmetadata:\n  name: whoami-nltest\nspec:\n  steps:\n    - rule: 11111111-1111-4111-8111-111111111111\n    - rule: 22222222-2222-4222-8222-222222222222\n  window: 10m\n  key: [host]\n  level: high\n`);
write('repo/anomalies/new-pair.yaml', `apiVersion: vigil/v1\nkind: Anomaly\nmetadata:\n  name: new-pair\nspec:\n  type: relationship\n  relationship: parent-child\n  filter: sysmon-1\n  learningPeriod: 1m\n  suppressOnCollector: true\n  level: medium\n`);

const ev = (host: string, image: string, sec: number, parent = 'C:\\Windows\\System32\\cmd.exe') =>
  JSON.stringify({ '@timestamp': new Date(Date.UTC(2026, 0, 1, 0, 0, sec)).toISOString(), Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Hostname: host, Image: `C:\\Windows\\System32\\${image}`, ParentImage: parent });

describe('vigil eval over a policy repository', () => {
  test('filters match as detection rules; chains and anomalies print their own JSON lines', async () => {
    const events = write('all.jsonl', [ev('A', 'calc.exe', 0), ev('B', 'calc.exe', 1), ev('A', 'whoami.exe', 120), ev('A', 'nltest.exe', 180), ev('B', 'whoami.exe', 200), ev('B', 'nltest.exe', 1000)].join('\n'));
    const r = await runCli(['eval', '--rules', repo, '--events', events]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = parse(r.stdout);
    expect(lines.filter((l) => l.rule === 'filter:sysmon-1').map((l) => l.event)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lines.filter((l) => l.type === 'chain')).toEqual([
      { type: 'chain', kind: 'chain', rule: 'whoami-nltest', level: 'high', key: { host: 'A' }, events: [2, 3], start: '2026-01-01T00:02:00.000Z', end: '2026-01-01T00:03:00.000Z' },
    ]);
    // Learned on A: calc; new after learning: whoami and nltest on A. B's are already known fleet-wide.
    const anomalies = lines.filter((l) => l.kind === 'anomaly');
    expect(anomalies.map((l) => [l.rule, l.event, (l.key as Record<string, string>).host])).toEqual([['new-pair', 2, 'A'], ['new-pair', 3, 'A']]);
    expect(anomalies[0]).toMatchObject({ type: 'anomaly', relationship: 'parent-child', level: 'medium', events: [2], key: { ParentImage: 'C:\\Windows\\System32\\cmd.exe', Image: 'C:\\Windows\\System32\\whoami.exe' } });
  });

  test('--state keeps chain progress across two runs: exactly one alert in all', async () => {
    const state = path.join(dir, 'state');
    const first = await runCli(['eval', '--rules', repo, '--events', write('part1.jsonl', ev('C', 'whoami.exe', 0)), '--state', state]);
    expect(first.code).toBe(0);
    expect(parse(first.stdout).filter((l) => l.type === 'chain')).toEqual([]);
    const second = await runCli(['eval', '--rules', repo, '--events', write('part2.jsonl', [ev('C', 'nltest.exe', 60), ev('C', 'nltest.exe', 70)].join('\n')), '--state', state]);
    expect(second.code).toBe(0);
    expect(parse(second.stdout).filter((l) => l.type === 'chain')).toMatchObject([{ rule: 'whoami-nltest', key: { host: 'C' }, events: [0, 0] }]);
  });

  test('--group runs what one host group receives; unknown groups are usage errors', async () => {
    const all = parse((await runCli(['eval', '--rules', MSP, '--events', SCENARIO])).stdout);
    const group = parse((await runCli(['eval', '--rules', MSP, '--events', SCENARIO, '--group', 'contoso-workstations'])).stdout);
    expect(group).toEqual(all);
    const collectors = await runCli(['eval', '--rules', MSP, '--events', SCENARIO, '--group', 'msp-collectors']);
    expect(collectors.code).toBe(0);
    expect(collectors.stdout).toBe('');
    const unknown = await runCli(['eval', '--rules', MSP, '--events', SCENARIO, '--group', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no host group `nope`/);
  });

  test('a repository with errors exits 1 with diagnostics naming the file', async () => {
    const bad = path.join(dir, 'bad');
    write('bad/chains/c.yaml', readFileSync(path.join(repo, 'chains/whoami-nltest.yaml'), 'utf8').replace('window: 10m', 'window: 0s'));
    write('bad/rules/whoami.yml', readFileSync(path.join(repo, 'rules/whoami.yml'), 'utf8'));
    write('bad/rules/nltest.yml', readFileSync(path.join(repo, 'rules/nltest.yml'), 'utf8'));
    const r = await runCli(['eval', '--rules', bad, '--events', SCENARIO]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/chains\/c\.yaml:\d+:\d+: error\[VG4106\]/);
  });

  test('--tolerance: an event later than it (by event time) is left out of chains, within it counts', async () => {
    const events = write('late.jsonl', [ev('D', 'calc.exe', 600), ev('D', 'whoami.exe', 100), ev('D', 'nltest.exe', 650)].join('\n'));
    const chains = async (tolerance: string) => parse((await runCli(['eval', '--rules', repo, '--events', events, '--tolerance', tolerance])).stdout).filter((l) => l.type === 'chain');
    expect(await chains('5m')).toEqual([]);
    expect(await chains('10m')).toMatchObject([{ rule: 'whoami-nltest', events: [1, 2] }]);
    const bad = await runCli(['eval', '--rules', repo, '--events', events, '--tolerance', 'soon']);
    expect(bad.code).toBe(2);
  });
});
