import path from 'node:path';
import { UsageError, parseCommandArgs, type Command } from '../command.js';
import type { Io } from '../io.js';
import { formatOf, readBaseline, runPlan } from './plan.js';
import { cacheOf, pipelineOf } from '../compile-options.js';
import { diffSpec } from './diff-spec.js';

/** \`vigil diff\`: the plan's semantic diff between two refs. */
export const diffCommand: Command = {
  ...diffSpec,
  async run(argv: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, { dir: { type: 'string', short: 'C' }, format: { type: 'string', short: 'f' }, baseline: { type: 'string' }, pipeline: { type: 'string' }, cache: { type: 'string' }, 'no-cache': { type: 'boolean' } });
    if (positionals.length !== 2) throw new UsageError(`expected two refs, got ${positionals.length}`);
    const [base, head] = positionals as [string, string];
    if (base.trim() === '' || head.trim() === '') throw new UsageError('a ref is empty');
    const dir = path.resolve(io.cwd, values.dir ?? '.');
    const baseline = values.baseline === undefined ? undefined : readBaseline(io, dir, values.baseline);
    return runPlan(io, { dir, base, head, format: formatOf(values.format), ...(baseline ? { baseline } : {}), ...pipelineOf(values.pipeline), ...cacheOf(io, values.cache, values['no-cache']) });
  },
};
