import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';
import type { Io } from '../io.js';
import { progressLine } from '../progress.js';
import { compile, type CompileResult } from '../../compiler/index.js';
import { cacheOf, pipelineOf } from '../compile-options.js';
import { kindLabel, type DocKind } from '../../compiler/stages/classify.js';
import type { RenderInput } from '../../targets/diagnostics/locate.js';
import { renderPretty } from '../../targets/diagnostics/pretty.js';
import { renderJson } from '../../targets/diagnostics/json.js';
import { renderSarif } from '../../targets/diagnostics/sarif.js';
import { renderGithub } from '../../targets/diagnostics/github.js';
import { checkSpec } from './check-spec.js';

const FORMATS = ['pretty', 'json', 'sarif', 'github'] as const;
type Format = (typeof FORMATS)[number];

/** \`vigil check\`: validate a policy repository and print its diagnostics. */
export const checkCommand: Command = {
  ...checkSpec,
  async run(argv: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, { ref: { type: 'string' }, format: { type: 'string', short: 'f' }, pipeline: { type: 'string' }, cache: { type: 'string' }, 'no-cache': { type: 'boolean' } });
    const cache = cacheOf(io, values.cache, values['no-cache']);
    if (positionals.length > 1) throw new UsageError(`expected at most one directory, got ${positionals.length}`);
    const format = (values.format ?? 'pretty') as Format;
    if (!FORMATS.includes(format)) throw new UsageError(`unknown format \`${values.format}\` (expected one of: ${FORMATS.join(', ')})`);
    const dirArg = positionals[0] ?? '.';
    const dir = path.resolve(io.cwd, dirArg);
    const ref = values.ref;
    if (ref !== undefined && ref.trim() === '') throw new UsageError('--ref needs a git ref');

    const progress = io.progress && format === 'pretty' ? progressLine(io) : undefined;
    // The same pipeline as `vigil compile` by default, so rule tests see what the agents will run.
    const { pipeline } = pipelineOf(values.pipeline);
    const result = await compile({ dir, ...(ref === undefined ? {} : { ref }) }, { until: 'lower', ...(pipeline ? { sigma: { pipeline } } : {}), ...(progress ? { onProgress: progress.update } : {}), ...cache });
    progress?.done();

    if (result.ok === false && result.fatal) {
      for (const d of result.report.diagnostics) io.stderr.write(`error[${d.code}]: ${d.message}\n`);
      return EXIT.usage;
    }
    const rel = path.relative(io.cwd, dir).split(path.sep).join('/');
    const input: RenderInput = {
      diagnostics: result.report.diagnostics,
      omitted: result.report.omitted,
      sources: result.sources,
      redact: result.report.diagnostics.filter((d) => d.code === 'VG4006').map((d) => d.span),
      displayPath: (file) => (rel === '' ? file : file === '' ? rel : `${rel}/${file}`),
    };
    const out = io.stdout;
    if (format === 'json') out.write(renderJson(input));
    else if (format === 'sarif') out.write(renderSarif(input, { version: version() }));
    else if (format === 'github') {
      out.write(renderGithub(input));
      out.write(`${totals(result)} in ${fileCount(result)}\n`);
    } else {
      out.write(renderPretty(input, { color: io.color }));
      if (result.report.diagnostics.length > 0) out.write('\n');
      out.write(summary(result));
    }
    return result.report.errors > 0 ? EXIT.failed : EXIT.ok;
  },
};

/** `N errors, M warnings`. */
function totals(result: CompileResult): string {
  const { errors, warnings } = result.report;
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
}

function fileCount(result: CompileResult): string {
  const n = result.sources.size;
  return `${n} file${n === 1 ? '' : 's'}`;
}

/** The closing summary of the pretty format: files, documents per kind, host groups, totals. */
function summary(result: CompileResult): string {
  const lines: string[] = [];
  const model = result.model;
  const perKind = new Map<DocKind, number>();
  for (const doc of model?.docs ?? []) perKind.set(doc.kind, (perKind.get(doc.kind) ?? 0) + 1);
  const docs = [...perKind.values()].reduce((a, b) => a + b, 0);
  lines.push(`checked ${fileCount(result)}, ${docs} valid document${docs === 1 ? '' : 's'}`);
  const sigma = (['SigmaRule', 'SigmaCorrelation', 'SigmaFilter'] as const).map((k) => perKind.get(k) ?? 0);
  if (sigma.some((n) => n > 0)) lines.push(`  Sigma: ${sigma[0]} rule${sigma[0] === 1 ? '' : 's'}, ${sigma[1]} correlation${sigma[1] === 1 ? '' : 's'}, ${sigma[2]} filter${sigma[2] === 1 ? '' : 's'}`);
  const kinds = [...perKind.keys()].filter((k) => !k.startsWith('Sigma')).sort();
  const width = Math.max(0, ...kinds.map((k) => kindLabel(k).length));
  for (const k of kinds) lines.push(`  ${kindLabel(k).padEnd(width)}  ${perKind.get(k)}`);
  const groups = [...(model?.groups.values() ?? [])];
  if (groups.length > 0) {
    lines.push('host groups:');
    const gw = Math.max(...groups.map((g) => g.name.length));
    for (const g of groups) {
      const hosts = `${g.hosts.length} host${g.hosts.length === 1 ? '' : 's'}`;
      const rules = `${g.effective.rules.length} rule${g.effective.rules.length === 1 ? '' : 's'}`;
      lines.push(`  ${g.name.padEnd(gw)}  ${hosts.padEnd(9)}  ${rules.padEnd(9)}  packages: ${g.packages.length > 0 ? g.packages.join(', ') : '(none)'}`);
    }
  }
  lines.push(totals(result));
  return lines.join('\n') + '\n';
}

let cachedVersion: string | undefined;

/** Vigil's version, from the package.json of the installed package. */
function version(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vigil') return (cachedVersion = pkg.version ?? '0.0.0');
    }
    dir = path.dirname(dir);
  }
  return (cachedVersion = '0.0.0');
}
