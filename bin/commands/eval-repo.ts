import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { EXIT, UsageError, parseCommandArgs, writeLine } from '../command.js';
import type { Io } from '../io.js';
import { runEventStream } from '../event-loop.js';
import { compile } from '../../compiler/index.js';
import { lineCol } from '../../compiler/source.js';
import { DiagnosticList } from '../../compiler/reporter.js';
import { lowerAllPolicies, lowerPolicies } from '../../compiler/lower/policies.js';
import { durationMs } from '../../compiler/lower/duration.js';
import type { Rule } from '../../runtime/engine/ir.js';
import { createPolicyEngine, type PolicyAlert, type PolicySet } from '../../runtime/engine/policy-engine.js';
import { alertLine } from '../../runtime/engine/alert-json.js';
import type { StateStore } from '../../runtime/engine/policy-state.js';
import { GlobalBaseline } from '../../runtime/collector/baseline.js';

/**
 * `vigil eval --rules DIR` when DIR is a policy repository (it holds vigil/v1 documents): the
 * whole repository is compiled like `vigil check` does, then its Sigma rules, Filters, threat
 * scores, chains and anomalies run over the events, as one host group's agents would run them
 * (`--group`) or all of them together. The collector's global baseline is simulated in process,
 * so anomalies suppressed on the collector behave as they would across a fleet.
 */

const VIGIL_DOC = /^apiVersion:\s*["']?vigil\/v1\b/m;
/** The kinds that give `vigil eval` something to run beyond Sigma rules. */
const EVAL_KIND = /^kind:\s*["']?(Filter|ThreatScore|Chain|Anomaly|Package)["']?\s*$/m;

/**
 * Whether a path is a directory holding a vigil/v1 Filter, ThreatScore, Chain, Anomaly or
 * Package (looked for breadth-first, bounded). Other vigil/v1 documents alone leave a
 * directory a plain Sigma rule folder, whose policy documents `vigil eval` skips.
 */
export function isPolicyRepository(dir: string): boolean {
  let queue = [dir];
  let seen = 0;
  while (queue.length > 0 && seen < 2000) {
    const next: string[] = [];
    for (const d of queue) {
      let names: string[];
      try {
        if (!statSync(d).isDirectory()) continue;
        names = readdirSync(d).sort();
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.startsWith('.') || name === 'node_modules') continue;
        const p = path.join(d, name);
        if (/\.ya?ml$/i.test(name)) {
          if (++seen > 2000) return false;
          try {
            const head = readFileSync(p, 'utf8').slice(0, 8192);
            if (VIGIL_DOC.test(head) && EVAL_KIND.test(head)) return true;
          } catch {
            // Unreadable files are the compiler's to report.
          }
        } else next.push(p);
      }
    }
    queue = next;
  }
  return false;
}

/** Whether `vigil eval` arguments name exactly one policy repository (so eval.ts delegates here). */
export function wantsRepository(argv: readonly string[], cwd: string): boolean {
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--rules' && i + 1 < argv.length) paths.push(argv[++i]!);
    else if (a.startsWith('--rules=')) paths.push(a.slice('--rules='.length));
  }
  return paths.length === 1 && isPolicyRepository(path.resolve(cwd, paths[0]!));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs `vigil eval` over a whole policy repository. */
export async function runEvalRepository(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    rules: { type: 'string' },
    events: { type: 'string' },
    pipeline: { type: 'string' },
    'time-field': { type: 'string', multiple: true },
    group: { type: 'string' },
    tolerance: { type: 'string' },
    state: { type: 'string' },
    stats: { type: 'boolean' },
  }, false);
  if (values.rules === undefined) throw new UsageError('--rules is required');
  if (values.events === undefined) throw new UsageError('--events is required');
  const toleranceMs = values.tolerance === undefined ? 60_000 : durationMs(values.tolerance);
  if (Number.isNaN(toleranceMs)) throw new UsageError(`--tolerance expects a duration like 30s or 5m, got \`${values.tolerance}\``);
  const dir = path.resolve(io.cwd, values.rules);
  const pipeline = values.pipeline?.includes('/') ? path.resolve(io.cwd, values.pipeline) : values.pipeline;
  const result = await compile({ dir }, pipeline ? { sigma: { pipeline } } : {});
  for (const d of result.report.diagnostics) {
    const source = result.sources.get(d.span.file);
    const at = source ? lineCol(source, d.span.start) : { line: 1, column: 1 };
    writeLine(io.stderr, `${path.join(values.rules, d.span.file)}:${at.line}:${at.column}: ${d.severity}[${d.code}]: ${d.message}`);
    if (d.hint) writeLine(io.stderr, `  = hint: ${d.hint}`);
  }
  if (!result.ok) return EXIT.failed;
  const model = result.model;
  const reporter = new DiagnosticList();
  let policies: PolicySet;
  let keep: (r: Rule) => boolean = () => true;
  if (values.group !== undefined) {
    const group = model.groups.get(values.group);
    if (!group) throw new UsageError(`no host group \`${values.group}\` (known: ${[...model.groups.keys()].sort().join(', ') || 'none'})`);
    policies = lowerPolicies(model, group, reporter);
    const ids = new Set(group.effective.rules);
    keep = (r) => ids.has(r.id);
  } else policies = lowerAllPolicies(model, reporter);
  const rules = [...result.sigma.values()].map((c) => c.ir).filter(keep);

  let text: string;
  try {
    text = values.events === '-' ? await readStdin() : readFileSync(path.resolve(io.cwd, values.events), 'utf8');
  } catch (error) {
    writeLine(io.stderr, `error: cannot read events \`${values.events}\`: ${(error as Error).message}`);
    return EXIT.failed;
  }
  // Loaded only when asked for: the SQLite binding is not needed for a stateless run.
  const state = values.state === undefined ? undefined : (await import('../../runtime/state/engine-state.js')).openEngineState(path.resolve(io.cwd, values.state));
  try {
    const store: StateStore | undefined = state?.store;
    const engine = createPolicyEngine(rules, policies, {
      toleranceMs,
      collector: new GlobalBaseline(),
      ...(store ? { store } : {}),
      ...(values['time-field'] ? { timeFields: values['time-field'] } : {}),
    });
    const eventsName = values.events === '-' ? '<stdin>' : values.events;
    const alerts = runEventStream<PolicyAlert>(text, eventsName, io, (e, i, emit) => engine.process(e, i, emit), alertLine, (emit) => {
      // With a state directory the stream may go on in a later run, so windows stay open.
      if (!state) engine.flush(emit);
      engine.checkpoint();
    });
    if (values.stats) {
      const s = engine.engine.ruleSet.stats;
      writeLine(io.stderr, `${s.events} events, ${alerts} alerts, ${rules.length} rules, ${policies.filters.length} filters, ${policies.threatScores.length} threat scores, ${policies.chains.length} chains, ${policies.anomalies.length} anomalies; ${engine.stats.late} late events, ${engine.store.count()} state entries`);
    }
    return EXIT.ok;
  } finally {
    state?.close();
  }
}
