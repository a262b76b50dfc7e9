import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXIT, UsageError, parseCommandArgs, writeLine, type Command } from '../command.js';
import type { Io } from '../io.js';
import { runEventStream } from '../event-loop.js';
import { DiagnosticList } from '../../compiler/reporter.js';
import { compareDiagnostics } from '../../compiler/diagnostics/diagnostic.js';
import { lineCol } from '../../compiler/source.js';
import { loadSigmaRules } from '../../compiler/sigma/load-rules.js';
import { loadPipeline } from '../../compiler/sigma/pipelines.js';
import { createEngine, type Alert } from '../../runtime/engine/engine.js';
import type { Attribution } from '../../runtime/engine/ir.js';
import { runEvalRepository, wantsRepository } from './eval-repo.js';
import { evalSpec } from './eval-spec.js';

/** Reads stdin to the end as text. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function attribution(a: Attribution): Attribution | undefined {
  return a.author || a.license || a.references ? a : undefined;
}

function toLine(alert: Alert): string {
  const r = alert.rule;
  const base = { type: alert.kind, rule: r.id, title: r.title, ...(r.level ? { level: r.level } : {}) };
  if (alert.kind === 'detection') {
    const attr = attribution(r.attribution);
    return JSON.stringify({ ...base, event: alert.event, ...(r.tags ? { tags: r.tags } : {}), ...(attr ? { attribution: attr } : {}) });
  }
  const c = alert.rule;
  const attr = attribution(c.attribution);
  return JSON.stringify({
    ...base,
    correlation: c.correlation,
    group: alert.group,
    events: alert.events,
    value: alert.value,
    start: Number.isFinite(alert.start) ? new Date(alert.start).toISOString() : null,
    end: Number.isFinite(alert.end) ? new Date(alert.end).toISOString() : null,
    ...(attr ? { attribution: attr } : {}),
  });
}

function placeholders(values: readonly string[] | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--placeholder expects NAME=VALUE, got \`${v}\``);
    (out[v.slice(0, eq)] ??= []).push(v.slice(eq + 1));
  }
  return out;
}

function fieldMap(values: readonly string[] | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) throw new UsageError(`--map expects RULE_FIELD=EVENT_FIELD, got \`${v}\``);
    (out[v.slice(0, eq)] ??= []).push(v.slice(eq + 1));
  }
  return out;
}

/** `vigil eval`: Sigma rules against events, one JSON object per match. */
export const evalCommand: Command = {
  ...evalSpec,
  async run(argv: readonly string[], io: Io): Promise<number> {
    // A policy repository (vigil/v1 documents) runs as a whole: filters, scores, chains, anomalies.
    if (wantsRepository(argv, io.cwd)) return runEvalRepository(argv, io);
    const { values, positionals } = parseCommandArgs(argv, {
      rules: { type: 'string', multiple: true },
      events: { type: 'string' },
      pipeline: { type: 'string' },
      'time-field': { type: 'string', multiple: true },
      placeholder: { type: 'string', multiple: true },
      map: { type: 'string', multiple: true },
      stats: { type: 'boolean' },
    });
    // `--rules a.yml b.yml` leaves b.yml as a positional: it is one more rule path.
    const rulePaths = [...(values.rules ?? []), ...positionals];
    if (rulePaths.length === 0) throw new UsageError('--rules is required');
    if (values.events === undefined) throw new UsageError('--events is required');
    if (values.pipeline !== undefined) {
      const p = loadPipeline(values.pipeline.includes('/') ? path.resolve(io.cwd, values.pipeline) : values.pipeline);
      if (p instanceof Error) {
        writeLine(io.stderr, `error[VG6017]: cannot load pipeline \`${values.pipeline}\`: ${p.message}`);
        return EXIT.failed;
      }
    }
    const pipelineArg = values.pipeline?.includes('/') ? path.resolve(io.cwd, values.pipeline) : values.pipeline;
    const reporter = new DiagnosticList();
    const loaded = loadSigmaRules(rulePaths, io.cwd, reporter, { ...(pipelineArg ? { pipeline: pipelineArg } : {}), placeholders: placeholders(values.placeholder), fieldMap: fieldMap(values.map) });
    for (const p of loaded.unreadable) writeLine(io.stderr, `error: cannot read \`${p}\``);
    const diags = [...reporter.items].sort(compareDiagnostics);
    for (const d of diags) {
      const source = loaded.sources.get(d.span.file);
      const at = source ? lineCol(source, d.span.start) : { line: 1, column: 1 };
      writeLine(io.stderr, `${d.span.file}:${at.line}:${at.column}: ${d.severity}[${d.code}]: ${d.message}`);
      if (d.hint) writeLine(io.stderr, `  = hint: ${d.hint}`);
    }
    if (reporter.hasErrors || loaded.unreadable.length > 0) return EXIT.failed;

    let text: string;
    try {
      text = values.events === '-' ? await readStdin() : readFileSync(path.resolve(io.cwd, values.events), 'utf8');
    } catch (error) {
      writeLine(io.stderr, `error: cannot read events \`${values.events}\`: ${(error as Error).message}`);
      return EXIT.failed;
    }
    const engine = createEngine(loaded.rules, values['time-field'] ? { timeFields: values['time-field'] } : {});
    const eventsName = values.events === '-' ? '<stdin>' : values.events;
    const matches = runEventStream<Alert>(text, eventsName, io, (e, i, emit) => engine.process(e, i, emit), toLine, (emit) => engine.flush(emit));
    if (values.stats) {
      const s = engine.ruleSet.stats;
      writeLine(io.stderr, `${s.events} events, ${matches} alerts, ${loaded.rules.length} rules; ${(s.tests / Math.max(1, s.events)).toFixed(2)} rule tests per event (${(s.candidates / Math.max(1, s.events)).toFixed(2)} after indexing, before the prefilter)`);
    }
    return EXIT.ok;
  },
};
