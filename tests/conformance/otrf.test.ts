import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../bin/main.js';
import { memoryIo } from '../helpers/memory-io.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { CORPUS, HAS_CORPUS, SIGMAHQ, assertCorpus, corpusTest, listYamlFiles } from './corpus.js';
import { inEntry, readPipeline, selectEntry } from './windows-pipeline.js';

/**
 * SigmaHQ's Windows rules over the OTRF datasets (real, flat NXLog events: Sysmon, Security with
 * `Channel` sometimes lower-case, System, PowerShell) through `vigil eval --pipeline windows`.
 * No labels come with these events, so the checks are properties: every alert lies inside its
 * rule's logsource, and known events meet the rules written for them through the 4688 renames,
 * the lower-case channel and the flat provider name.
 */

type Event = Record<string, any>;
interface Alert {
  readonly rule: string;
  readonly event: number;
}

const OTRF = path.join(CORPUS, 'events');
const windows = readPipeline('windows');
let events: Event[] = [];
let alerts: Alert[] = [];
let exitCode = -1;
let stderr = '';
let tmp = '';

function otrfFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.jsonl')) out.push(full);
    }
  };
  walk(OTRF);
  return out.sort();
}

function alertsOf(ruleId: string): Alert[] {
  return alerts.filter((a) => a.rule === ruleId);
}

beforeAll(async () => {
  if (!HAS_CORPUS) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-otrf-'));
  const lines = otrfFiles().flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== ''));
  events = lines.map((l) => JSON.parse(l) as Event);
  const eventsFile = path.join(tmp, 'otrf.jsonl');
  fs.writeFileSync(eventsFile, lines.join('\n') + '\n');
  const io = memoryIo(REPO_ROOT);
  exitCode = await main(['eval', '--rules', path.join(SIGMAHQ, 'rules/windows'), '--events', eventsFile, '--pipeline', 'windows'], io);
  stderr = io.stderr.text;
  alerts = io.stdout.text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Alert);
}, 120_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('SigmaHQ Windows rules over the OTRF datasets', () => {
  corpusTest('vigil eval runs every Windows rule over every OTRF event', () => {
    assertCorpus();
    expect(events.length).toBeGreaterThanOrEqual(13_000);
    expect(exitCode, stderr).toBe(0);
    expect(alerts.length).toBeGreaterThan(0);
  });

  corpusTest("every alert's event lies inside its rule's logsource", () => {
    assertCorpus();
    const logsources = new Map<string, Record<string, unknown>>();
    for (const file of listYamlFiles(path.join(SIGMAHQ, 'rules/windows'))) {
      const rule = parse(fs.readFileSync(file, 'utf8')) as { id: string; logsource: Record<string, unknown> };
      logsources.set(rule.id, rule.logsource);
    }
    const outside: string[] = [];
    for (const a of alerts) {
      const entry = selectEntry(windows, logsources.get(a.rule) ?? {});
      if (entry && !inEntry(entry, events[a.event]!)) outside.push(`${a.rule} on event ${a.event} (${events[a.event]!.Channel} ${events[a.event]!.EventID})`);
    }
    expect(outside).toEqual([]);
  });

  corpusTest('Security 4688 events meet process_creation rules through the NewProcessName rename', () => {
    assertCorpus();
    const from4688 = alerts.filter((a) => events[a.event]!.EventID === 4688);
    expect(from4688.length).toBeGreaterThan(10);
    // SharpView run from C:\ProgramData, logged in the lower-case `security` channel.
    const sharpView = alertsOf('b2317cfa-4a47-4ead-b3ff-297438c0bc2d').map((a) => events[a.event]!);
    expect(sharpView.some((e) => e.Channel === 'security' && e.EventID === 4688 && /\\SharpView\.exe$/i.test(e.NewProcessName))).toBe(true);
  });

  corpusTest('Security log clearing (1102) is found in both spellings of the channel, by the flat provider name', () => {
    assertCorpus();
    const cleared = events.flatMap((e, i) => (String(e.Channel).toLowerCase() === 'security' && e.EventID === 1102 ? [i] : []));
    expect(cleared.length).toBeGreaterThan(0);
    const found = new Set(alertsOf('d99b79d2-0a6f-4f46-ad8b-260b6e17f982').map((a) => a.event));
    expect(cleared.filter((i) => !found.has(i))).toEqual([]);
  });

  corpusTest('System log clearing (104) meets the rule that names its provider', () => {
    assertCorpus();
    const cleared = events.flatMap((e, i) => (e.Channel === 'System' && e.EventID === 104 && e.SourceName === 'Microsoft-Windows-Eventlog' ? [i] : []));
    expect(cleared.length).toBeGreaterThan(0);
    // "Important Windows Eventlog Cleared": EventID 104, Provider_Name Microsoft-Windows-Eventlog, Channel System among others.
    const file = path.join(SIGMAHQ, 'rules/windows/builtin/system/microsoft_windows_eventlog/win_system_susp_eventlog_cleared.yml');
    const rule = parse(fs.readFileSync(file, 'utf8')) as { id: string } | undefined;
    expect(rule).toBeDefined();
    const found = new Set(alertsOf(rule!.id).map((a) => a.event));
    expect(cleared.filter((i) => !found.has(i))).toEqual([]);
  });
});
