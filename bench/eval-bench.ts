import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadSigmaRules } from '../compiler/sigma/load-rules.js';
import { DiagnosticList } from '../compiler/reporter.js';
import { createEngine } from '../runtime/engine/engine.js';
import { corpusDir, filesUnder, sigmaRuleDirs } from './corpus.js';
import { alternatingMedians, emit, progress, rssMiB } from './measure.js';

const MIN_EVENTS = 200_000;

/** The corpus event lines, replayed until there are at least MIN_EVENTS of them. */
function eventLines(): string[] {
  const base: string[] = [];
  for (const f of filesUnder(path.join(corpusDir(), 'events'), /\.jsonl$/i)) {
    for (const line of readFileSync(f, 'utf8').split('\n')) if (line.trim() !== '') base.push(line);
  }
  const lines: string[] = [];
  while (lines.length < MIN_EVENTS) lines.push(...base);
  return lines;
}

/**
 * Every SigmaHQ Windows rule loaded at once over the real recorded events: events per second
 * against the JSON.parse-only floor over the same stream, resident memory, and how many rules
 * an event is tested against after indexing and prefiltering.
 */
async function main(): Promise<void> {
  const rssStart = rssMiB();
  const ruleDirs = sigmaRuleDirs().map((d) => path.join(d, 'windows'));
  const reporter = new DiagnosticList();
  const t0 = performance.now();
  const loaded = loadSigmaRules(ruleDirs, process.cwd(), reporter, { pipeline: 'windows' });
  const engine = createEngine(loaded.rules);
  const loadMs = performance.now() - t0;
  const rssRules = rssMiB();
  const lines = eventLines();
  progress(`eval bench: ${loaded.rules.length} rules, ${lines.length} events`);

  let alerts = 0;
  const emitAlert = () => void alerts++;
  // Floor and engine passes alternate, so a change in the machine's speed during the run (a
  // third within minutes on a shared VM) weighs on both instead of on whichever ran first.
  const [floorMs, engineMs] = (await alternatingMedians([
    () => {
      for (const line of lines) JSON.parse(line);
    },
    () => {
      alerts = 0;
      for (let i = 0; i < lines.length; i++) engine.process(JSON.parse(lines[i]!), i, emitAlert);
    },
  ])) as [number, number];
  const stats = engine.ruleSet.stats;
  const floorRate = lines.length / (floorMs / 1000);
  const engineRate = lines.length / (engineMs / 1000);
  const ratio = engineRate / floorRate;
  const rssEnd = rssMiB();
  progress('');
  emit({
    suite: 'eval',
    figures: [
      { name: 'rules loaded (Windows)', value: loaded.rules.length, unit: 'rules' },
      { name: 'rule load + engine build', value: loadMs, unit: 'ms' },
      { name: 'events', value: lines.length, unit: 'events' },
      { name: 'JSON.parse floor', value: floorRate, unit: 'events/s' },
      { name: 'engine (JSON.parse + evaluate)', value: engineRate, unit: 'events/s', goal: '>= 50000', pass: engineRate >= 50_000 },
      { name: 'engine / JSON.parse floor', value: ratio * 100, unit: '%', goal: '>= 25', pass: ratio >= 0.25 },
      { name: 'rules tested per event (after index + prefilter)', value: stats.tests / stats.events, unit: 'rules' },
      { name: 'rules in an event\'s index bucket (before prefilter)', value: stats.candidates / stats.events, unit: 'rules' },
      { name: 'resident memory with rules loaded', value: rssRules, unit: 'MiB', goal: '<= 300', pass: rssRules <= 300 },
      { name: 'resident memory after the run', value: rssEnd, unit: 'MiB', goal: '<= 300', pass: rssEnd <= 300 },
    ],
    notes: [`${alerts} alerts per pass; ${reporter.items.filter((d) => d.severity === 'error').length} rule errors; process started at ${rssStart.toFixed(0)} MiB`],
  });
}

await main();
