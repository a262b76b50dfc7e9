import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

/**
 * The recon scenario of issue 4 on examples/msp, through the real CLI: a single recon tool is
 * harmless, whoami + ipconfig + systeminfo + wmic on one host within five minutes is an
 * attacker looking around (20 + 10 + 25 + 45 = 100 = the threshold of `recon-tools`).
 */

const MSP = path.join(REPO_ROOT, 'examples/msp');
const SCENARIO = path.join(MSP, 'events/recon-scenario.jsonl');
const LINES = readFileSync(SCENARIO, 'utf8').trim().split('\n');
const EVENTS = LINES.map((l) => JSON.parse(l) as Record<string, unknown>);
const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-recon-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Line {
  readonly type: string;
  readonly kind?: string;
  readonly rule: string;
  readonly key?: Record<string, string>;
  readonly score?: number;
  readonly events?: number[];
}

/** The scenario's event on AMS-WS-002 whose image ends with `tool.exe`. */
function attackerRan(tool: string): Record<string, unknown> {
  const e = EVENTS.find((x) => x.Hostname === 'AMS-WS-002.contoso.local' && String(x.Image ?? '').toLowerCase().endsWith(`\\${tool}.exe`));
  if (!e) throw new Error(`no ${tool} in the scenario`);
  return e;
}

/** Writes events with their times moved to `start + offsets[i]` seconds, and runs vigil eval on them. */
async function evalAt(name: string, events: Record<string, unknown>[], offsetsSec?: number[]): Promise<Line[]> {
  const start = Date.parse('2026-11-24T10:00:00.000Z');
  const moved = events.map((e, i) => {
    if (!offsetsSec) return e;
    const t = new Date(start + offsetsSec[i]! * 1000).toISOString();
    return { ...e, '@timestamp': t, TimeCreated: t, UtcTime: t.replace('T', ' ').replace('Z', '') };
  });
  const file = path.join(dir, `${name}.jsonl`);
  writeFileSync(file, moved.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const r = await runCli(['eval', '--rules', MSP, '--events', file]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
}

const scores = (lines: readonly Line[]) => lines.filter((l) => l.kind === 'threat-score');
const FOUR = ['whoami', 'ipconfig', 'systeminfo', 'wmic'];

describe('recon scenario (examples/msp, real CLI)', () => {
  test('the whole scenario alerts once, for AMS-WS-002, with the summed score and the four events', async () => {
    const lines = await evalAt('scenario', EVENTS);
    const alerts = scores(lines);
    expect(alerts).toHaveLength(1);
    const whoamiIndex = EVENTS.indexOf(attackerRan('whoami'));
    expect(alerts[0]).toMatchObject({ type: 'threat-score', kind: 'threat-score', rule: 'recon-tools', key: { host: 'AMS-WS-002.contoso.local' }, score: 100 });
    expect(alerts[0]!.events).toEqual(FOUR.map((t) => EVENTS.indexOf(attackerRan(t))));
    expect(alerts[0]!.events![0]).toBe(whoamiIndex);
    // The single ipconfig on FAB-WS-014 and the single wmic on RTM-WS-010 are detected (besides the Filters), and that is all.
    const byHost = (host: string) => lines.filter((l) => l.type === 'detection' && !l.rule.startsWith('filter:') && (EVENTS[(l as unknown as { event: number }).event]!.Hostname as string).startsWith(host));
    expect(byHost('FAB-WS-014').map((l) => l.rule)).toEqual(['46b9c27b-aec3-456e-b02a-72b81c63f70f']);
    expect(byHost('RTM-WS-010').map((l) => l.rule)).toEqual(['a6fe9602-8456-4fa1-ae8e-bed5ae10c807']);
  });

  test('ipconfig alone does not alert', async () => {
    expect(scores(await evalAt('ipconfig', [attackerRan('ipconfig')], [0]))).toEqual([]);
  });

  test('wmic alone does not alert', async () => {
    expect(scores(await evalAt('wmic', [attackerRan('wmic')], [0]))).toEqual([]);
  });

  test('whoami + ipconfig + systeminfo + wmic within five minutes alert once with score 100', async () => {
    const alerts = scores(await evalAt('four', FOUR.map(attackerRan), [0, 60, 120, 299]));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'recon-tools', key: { host: 'AMS-WS-002.contoso.local' }, score: 100, events: [0, 1, 2, 3] });
  });

  test('exactly at the five-minute edge it alerts; one millisecond past, it does not', async () => {
    expect(scores(await evalAt('edge', FOUR.map(attackerRan), [0, 60, 120, 300]))).toHaveLength(1);
    expect(scores(await evalAt('past-edge', FOUR.map(attackerRan), [0, 60, 120, 300.001]))).toEqual([]);
  });

  test('the same four spread over an hour do not alert', async () => {
    expect(scores(await evalAt('hour', FOUR.map(attackerRan), [0, 1200, 2400, 3600]))).toEqual([]);
  });
});
