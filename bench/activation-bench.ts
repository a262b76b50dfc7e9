import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DiagnosticList } from '../compiler/reporter.js';
import { loadSigmaRules } from '../compiler/sigma/load-rules.js';
import { prepareBundle, StateDir } from '../runtime/activate.js';
import { canonicalBytes } from '../runtime/bundle/canonical.js';
import { packBundle } from '../runtime/bundle/pack-rules.js';
import { sigmaRuleDirs } from './corpus.js';
import { emit, median, progress, rssMiB } from './measure.js';

/**
 * Agent activation with every SigmaHQ Windows rule in one bundle: the time from verified bytes
 * to a running engine (re-validation against the IR schema, engine build, self-test, write +
 * fsync + rename of the bundle and the pointer; the download is excluded), and the agent's
 * resident memory with that bundle active. Activation runs in a fresh child process holding
 * only the agent's modules, so the compiler used to build the bundle does not count.
 */

const RUNS = 3;

interface ChildResult {
  readonly times: number[];
  readonly parseMs: number;
  readonly rss: number;
  readonly rssStart: number;
  readonly rules: number;
}

/** The child: activates the bundle RUNS times in fresh state directories, then reports. */
async function child(file: string): Promise<void> {
  const rssStart = rssMiB();
  const bytes = new Uint8Array(readFileSync(file));
  // The rule packs the bundle pins, as the pull hands them over (verified, by digest).
  const packs = new Map(readdirSync(path.join(path.dirname(file), 'packs')).map((n) => [n, new Uint8Array(readFileSync(path.join(path.dirname(file), 'packs', n)))]));
  const t = performance.now();
  JSON.parse(Buffer.from(bytes).toString('utf8'));
  for (const p of packs.values()) JSON.parse(Buffer.from(p).toString('utf8'));
  const parseMs = performance.now() - t;
  const times: number[] = [];
  let keep: unknown;
  let rules = 0;
  for (let i = 0; i < RUNS; i++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-activation-'));
    try {
      const state = new StateDir(dir);
      state.init();
      keep = undefined;
      (globalThis as { gc?: () => void }).gc?.();
      const t0 = performance.now();
      state.packs.write(packs);
      const prepared = await prepareBundle(bytes, 1, undefined, undefined, undefined, (sha) => state.packs.read(sha));
      if ('code' in prepared) throw new Error(prepared.message);
      const record = state.activate(prepared, bytes, new Date());
      if ('code' in record) throw new Error(record.message);
      times.push(performance.now() - t0);
      keep = prepared;
      rules = prepared.ruleCount;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  (globalThis as { gc?: () => void }).gc?.();
  const rss = rssMiB();
  process.stdout.write(JSON.stringify({ times, parseMs, rss, rssStart, rules, alive: keep !== undefined } satisfies ChildResult & { alive: boolean }) + '\n');
}

async function main(): Promise<void> {
  const ruleDirs = sigmaRuleDirs().map((d) => path.join(d, 'windows'));
  const reporter = new DiagnosticList();
  progress('activation bench: compiling SigmaHQ Windows rules');
  const loaded = loadSigmaRules(ruleDirs, process.cwd(), reporter, { pipeline: 'windows' });
  // Published as agents get it: the bundle and the rule packs it pins.
  const packed = packBundle({ irVersion: 1, features: [], group: 'bench', content: { rules: loaded.rules } });
  const bytes = canonicalBytes(packed.document);
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-activation-bundle-'));
  const file = path.join(dir, 'bundle.json');
  writeFileSync(file, bytes);
  mkdirSync(path.join(dir, 'packs'));
  for (const p of packed.packs) writeFileSync(path.join(dir, 'packs', p.ref.sha256), p.bytes);
  const packBytes = packed.packs.reduce((n, p) => n + p.bytes.length, 0);
  try {
    progress(`activation bench: ${loaded.rules.length} rules, ${((bytes.length + packBytes) / 1048576).toFixed(1)} MiB bundle and packs`);
    const run = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
    const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as ChildResult;
    const activation = median(result.times);
    progress('');
    emit({
      suite: 'activation',
      figures: [
        { name: 'rules in the bundle (SigmaHQ Windows)', value: result.rules, unit: 'rules' },
        { name: 'bundle size (bundle and its rule packs)', value: (bytes.length + packBytes) / 1048576, unit: 'MiB' },
        { name: 'rule packs', value: packed.packs.length, unit: 'packs' },
        { name: 'JSON.parse floor (the bundle and pack bytes)', value: result.parseMs, unit: 'ms' },
        { name: 'activation (store packs, validate, build, self-test, fsync+rename)', value: activation, unit: 'ms', goal: '< 1000', pass: activation < 1000 },
        { name: 'activation / JSON.parse floor', value: activation / result.parseMs, unit: 'x' },
        { name: 'agent resident memory with the bundle active', value: result.rss, unit: 'MiB', goal: '<= 300', pass: result.rss <= 300 },
      ],
      notes: [`median of ${RUNS} activations in a fresh process (${result.times.map((t) => t.toFixed(0)).join(', ')} ms); the process started at ${result.rssStart.toFixed(0)} MiB; ${reporter.items.filter((d) => d.severity === 'error').length} rule errors`],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const at = process.argv.indexOf('--child');
if (at >= 0) await child(process.argv[at + 1] as string);
else await main();
