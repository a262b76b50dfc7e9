import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { EXIT, UsageError, parseCommandArgs, writeLine, type Command } from '../command.js';
import type { Io } from '../io.js';
import type { Input } from '../../compiler/index.js';
import type { GroupSnapshot, PolicySnapshot } from '../../compiler/history/snapshot.js';
import { loadPair, type SideResult } from '../../compiler/history/side.js';
import { splitEvents } from '../../runtime/engine/event-stream.js';
import { ringOf, type RolloutPlan } from '../../runtime/rollout.js';
import { planOf, type GroupState, type Plan } from '../../targets/plan/plan.js';
import type { Baseline } from '../../targets/plan/risks.js';
import { renderMarkdown } from '../../targets/plan/render-md.js';
import { renderPlanJson } from '../../targets/plan/render-json.js';
import { renderPlanGithub } from '../../targets/plan/render-github.js';
import { planSpec } from './plan-spec.js';
import { cacheOf, pipelineOf } from '../compile-options.js';

/** Output formats of `vigil plan` and `vigil diff`. */
export const PLAN_FORMATS = ['md', 'json', 'github'] as const;
type Format = (typeof PLAN_FORMATS)[number];

/** \`vigil plan\`: what a change does to each host group, for review. */
export const planCommand: Command = {
  ...planSpec,
  async run(argv: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, {
      base: { type: 'string' },
      head: { type: 'string' },
      format: { type: 'string', short: 'f' },
      baseline: { type: 'string' },
      'no-baseline': { type: 'boolean' },
      pipeline: { type: 'string' },
      cache: { type: 'string' },
      'no-cache': { type: 'boolean' },
    });
    if (positionals.length > 1) throw new UsageError(`expected at most one directory, got ${positionals.length}`);
    if (values.base === undefined || values.base.trim() === '') throw new UsageError('--base REF is required');
    if (values.head !== undefined && values.head.trim() === '') throw new UsageError('--head needs a git ref');
    const format = formatOf(values.format);
    const dir = path.resolve(io.cwd, positionals[0] ?? '.');
    const baseline = values['no-baseline'] ? undefined : readBaseline(io, dir, values.baseline);
    return runPlan(io, { dir, base: values.base, ...(values.head === undefined ? {} : { head: values.head }), format, ...(baseline ? { baseline } : {}), ...pipelineOf(values.pipeline), ...cacheOf(io, values.cache, values['no-cache']) });
  },
};

/** Validates `--format`. */
export function formatOf(value: string | undefined): Format {
  const format = (value ?? 'md') as Format;
  if (!PLAN_FORMATS.includes(format)) throw new UsageError(`unknown format \`${value}\` (expected one of: ${PLAN_FORMATS.join(', ')})`);
  return format;
}

/** What `runPlan` compares. */
export interface PlanRequest {
  readonly dir: string;
  readonly base: string;
  /** Undefined: the working tree. */
  readonly head?: string;
  readonly format: Format;
  readonly baseline?: Baseline;
  readonly pipeline?: string;
  readonly cacheDir?: string;
}

/** Compiles both sides, prints the plan, returns the exit code (shared by `vigil plan` and `vigil diff`). */
export async function runPlan(io: Io, request: PlanRequest): Promise<number> {
  const { dir, base, head } = request;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`policy directory \`${dir}\` does not exist`);
  const baseInput = { dir, ref: base };
  const headInput: Input = head === undefined ? { dir } : { dir, ref: head };
  const [b, h] = await loadPair(baseInput, headInput, { ...(request.pipeline === undefined ? {} : { pipeline: request.pipeline }), ...(request.cacheDir === undefined ? {} : { cacheDir: request.cacheDir }) });
  const failed = reportFailures(io, [
    [base, b],
    [head ?? 'the working tree', h],
  ]);
  if (failed !== undefined) return failed;
  if (!b.ok || !h.ok) return EXIT.failed;
  const plan = planOf(statesOf(b.snapshot), statesOf(h.snapshot), { base, head: head ?? 'working tree', ...(request.baseline ? { baseline: request.baseline } : {}) });
  io.stdout.write(render(plan, request.format, dir, io));
  return EXIT.ok;
}

function render(plan: Plan, format: Format, dir: string, io: Io): string {
  if (format === 'json') return renderPlanJson(plan);
  if (format === 'github') {
    const rel = path.relative(io.cwd, dir).split(path.sep).join('/');
    return renderPlanGithub(plan, (file) => (rel === '' ? file : `${rel}/${file}`));
  }
  return renderMarkdown(plan);
}

/** Prints why a side could not be compiled; a missing ref or directory is a usage error. */
function reportFailures(io: Io, sides: readonly [string, SideResult][]): number | undefined {
  let code: number | undefined;
  for (const [label, side] of sides) {
    if (side.ok) continue;
    if (side.fatal) {
      for (const e of side.errors) writeLine(io.stderr, `error[${e.code}]: ${e.message}`);
      code = EXIT.usage;
      continue;
    }
    writeLine(io.stderr, `error: the policy at ${label} does not compile (${side.errorCount} error${side.errorCount === 1 ? '' : 's'}); run \`vigil check\` on it`);
    for (const e of side.errors) writeLine(io.stderr, `  ${e.file}:${e.line}:${e.column}: error[${e.code}]: ${e.message}`);
    code ??= EXIT.failed;
  }
  return code;
}

/** The plan's view of a snapshot: each group with its hosts counted per rollout ring. */
export function statesOf(snapshot: PolicySnapshot): GroupState[] {
  return snapshot.groups.map((g) => ({ ...g, ...(g.rollout ? { rings: ringCounts(g) } : {}) }));
}

function ringCounts(g: GroupSnapshot): { name: string; hosts: number }[] {
  const rollout: RolloutPlan = {
    name: g.rollout!.name,
    rings: g.rollout!.rings.map((r) => ({ name: r.name, soakMs: 0, gates: {}, ...(r.hosts ? { hosts: r.hosts } : {}), ...(r.percentage === undefined ? {} : { percentage: r.percentage }) })),
  };
  const counts = rollout.rings.map((r) => ({ name: r.name, hosts: 0 }));
  if (counts.length === 0) return [];
  for (const host of g.hosts) counts[ringOf(rollout, host)]!.hosts++;
  return counts;
}

/** Reads the baseline sample: `--baseline FILE`, else every DIR/events/*.jsonl, else none. */
export function readBaseline(io: Io, dir: string, file: string | undefined): Baseline | undefined {
  let files: string[];
  if (file !== undefined) {
    const abs = path.resolve(io.cwd, file);
    if (!existsSync(abs)) throw new UsageError(`baseline file \`${file}\` does not exist`);
    files = [abs];
  } else {
    const events = path.join(dir, 'events');
    if (!existsSync(events) || !statSync(events).isDirectory()) return undefined;
    files = readdirSync(events).filter((f) => f.endsWith('.jsonl')).sort().map((f) => path.join(events, f));
    if (files.length === 0) return undefined;
  }
  const all: unknown[] = [];
  for (const f of files) for (const record of splitEvents(readFileSync(f, 'utf8'))) if ('event' in record) all.push(record.event);
  const label = files.map((f) => {
    const rel = path.relative(dir, f).split(path.sep).join('/');
    return rel.startsWith('..') ? path.basename(f) : rel;
  }).join(', ');
  return { label, events: all };
}
