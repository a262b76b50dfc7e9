import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { compile, type CompileResult, type LoweredBundle } from '../../compiler/index.js';
import { diag, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import type { CodeId } from '../../compiler/diagnostics/codes.js';
import { attachmentDigests } from '../../compiler/lower/attachments.js';
import { compilerVersion, sourceFacts, type SourceFacts } from '../../compiler/lower/source-facts.js';
import { cacheOf, pipelineOf } from '../compile-options.js';
import { fileStart } from '../../compiler/span.js';
import type { SigningKey } from '../../runtime/bundle/keys.js';
import { bundleTargetPath } from '../../runtime/bundle/layout.js';
import type { Lifetimes } from '../../runtime/bundle/metadata.js';
import type { BuildProblem, PendingSignature } from '../../runtime/bundle/tuf-repo.js';
import { builtDigest } from '../../runtime/bundle/canonical.js';
import type { RenderInput } from '../../targets/diagnostics/locate.js';
import { renderJson } from '../../targets/diagnostics/json.js';
import { renderPretty } from '../../targets/diagnostics/pretty.js';
import { EXIT, parseCommandArgs, reportInternalError, UsageError, writeLine, type Command } from '../command.js';
import { isWithin } from '../paths.js';
import type { Io } from '../io.js';
import { progressLine } from '../progress.js';
import { compileSpec } from './compile-spec.js';
import { untilSignal } from '../signals.js';

/** Which VG5xxx code each repository-builder problem is reported with. */
export const PROBLEM_CODES: Readonly<Record<BuildProblem['slug'], CodeId>> = {
  'unsafe-name': 'VG5010',
  'bad-bundle': 'VG5011',
  'bad-root-chain': 'VG5012',
  'bad-previous-state': 'VG5013',
  'duplicate-target': 'VG5014',
  'duplicate-group': 'VG5014',
  'timestamp-key-needed': 'VG5015',
};

const ROLES = ['targets', 'snapshot', 'timestamp'] as const;
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses `--lifetime ROLE=DUR` options into seconds per role. */
function lifetimes(values: readonly string[]): Partial<Lifetimes> {
  const out: Partial<Record<keyof Lifetimes, number>> = {};
  for (const v of values) {
    const m = /^(targets|snapshot|timestamp)=([1-9][0-9]{0,6})([smhd])$/.exec(v);
    if (!m) throw new UsageError(`--lifetime expects ROLE=DURATION with ROLE one of ${ROLES.join(', ')} and a duration like 90d or 12h, got \`${v}\``);
    out[m[1] as keyof Lifetimes] = Number(m[2]) * (UNIT_SECONDS[m[3] as string] as number);
  }
  return out;
}

/**
 * The key, TUF and repository-writing modules, imported only once the policies compiled: a run
 * that stops at its diagnostics never loads them (@tufjs/models and the signing code).
 */
async function repositoryWriter() {
  const [keyFiles, repoFiles, bundle] = await Promise.all([
    import('../../runtime/bundle/key-files.js'),
    import('../../runtime/bundle/repo-files.js'),
    import('../../targets/bundle.js'),
  ]);
  return { ...keyFiles, ...repoFiles, ...bundle };
}

/** `vigil compile`: policy repository → signed per-group bundles in OUT. */
export const compileCommand: Command = {
  ...compileSpec,
  async run(argv: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, {
      ref: { type: 'string' }, out: { type: 'string', short: 'o' }, key: { type: 'string', multiple: true }, trust: { type: 'string' },
      pipeline: { type: 'string' }, lifetime: { type: 'string', multiple: true }, format: { type: 'string', short: 'f' },
      cache: { type: 'string' }, 'no-cache': { type: 'boolean' }, watch: { type: 'boolean', short: 'w' },
    });
    if (positionals.length > 1) throw new UsageError(`expected at most one directory, got ${positionals.length}`);
    if (!values.out) throw new UsageError('--out OUT is required');
    const outArg = values.out;
    const format = values.format ?? 'pretty';
    if (format !== 'pretty' && format !== 'json') throw new UsageError(`unknown format \`${format}\` (expected pretty or json)`);
    if (values.ref !== undefined && values.ref.trim() === '') throw new UsageError('--ref needs a git ref');
    if (values.watch && values.ref !== undefined) throw new UsageError('--watch rebuilds the working tree as it changes; it cannot be combined with --ref');
    const life = lifetimes(values.lifetime ?? []);
    const { pipeline } = pipelineOf(values.pipeline);
    const dirArg = positionals[0] ?? '.';
    const dir = path.resolve(io.cwd, dirArg);
    const out = path.resolve(io.cwd, values.out);
    const input = { dir, ...(values.ref === undefined ? {} : { ref: values.ref }) };
    const { cacheDir } = cacheOf(io, values.cache, values['no-cache']);
    // OUT holds signed files only (`vigil verify` refuses anything else), so the cache lives elsewhere.
    if (cacheDir !== undefined && isWithin(cacheDir, out)) throw new UsageError(`the cache directory \`${cacheDir}\` must not be inside OUT`);

    /** One build: compile, sign and write OUT, print the result; the exit code. */
    const buildOnce = async (): Promise<number> => {
      const progress = io.progress && format === 'pretty' ? progressLine(io) : undefined;
      // git's facts (child processes) are gathered while the policies compile.
      const factsPending = sourceFacts(dir, values.ref, io.env);
      factsPending.catch(() => undefined);
      const result = await compile(input, { ...(pipeline ? { sigma: { pipeline } } : {}), ...(progress ? { onProgress: progress.update } : {}), ...(cacheDir === undefined ? {} : { cacheDir }) });
      progress?.done();
      if (result.ok === false && result.fatal) {
        for (const d of result.report.diagnostics) io.stderr.write(`error[${d.code}]: ${d.message}\n`);
        return EXIT.usage;
      }
      const rel = path.relative(io.cwd, dir).split(path.sep).join('/');
      const render = (extra: readonly Diagnostic[]): void => renderDiagnostics(io, format, result, rel, extra);
      if (!result.ok || result.bundles === undefined) {
        render([]);
        return EXIT.failed;
      }

      const { KeyFileError, listOption, readSigningKeys, readRepositoryState, writeArtifacts, buildRepository } = await repositoryWriter();
      const problems: Diagnostic[] = [];
      const repoProblem = (code: CodeId, detail: string) => problems.push(diag(code, fileStart(''), { detail }));
      let keys: SigningKey[] = [];
      try {
        keys = await readSigningKeys(listOption(values.key), io.cwd);
      } catch (error) {
        if (!(error instanceof KeyFileError)) throw error;
        repoProblem('VG5016', error.message);
      }
      const roots: Uint8Array[] = [];
      if (values.trust !== undefined) {
        try {
          roots.push(new Uint8Array(await readFile(path.resolve(io.cwd, values.trust))));
        } catch {
          repoProblem('VG5016', `cannot read trust root \`${values.trust}\``);
        }
      }
      if (problems.length > 0) {
        render(problems);
        return EXIT.failed;
      }
      const facts = await factsPending;
      const inputs = [...[...result.sources.values()].map((s) => ({ path: s.path, sha256: s.digest })), ...attachmentDigests(result.attachments ?? new Map())];
      const built = await buildRepository({
        bundles: result.bundles.map((b) => ({ group: b.group, ...(b.ring === undefined ? {} : { ring: b.ring }), document: b.document })),
        provenance: { commit: facts.commit, tree: facts.tree, author: facts.author, commitTime: facts.commitTime, compilerVersion: compilerVersion(), inputs },
        roots, keys, lifetimes: life, previous: await readRepositoryState(out),
      });
      if (!built.ok) {
        for (const p of built.problems) repoProblem(PROBLEM_CODES[p.slug], p.message);
        render(problems);
        return EXIT.failed;
      }
      await writeArtifacts(out, built.artifacts, { prune: true });
      render([]);
      const digests = new Map(built.artifacts.map((a) => [a.path, builtDigest(a.bytes)]));
      printBundles(io, format, outArg, result.bundles, digests, built.pending, facts);
      return EXIT.ok;
    };
    // A directory that is not there is reported by the build (VG1012) as without --watch.
    if (!values.watch || !isDirectory(dir)) return buildOnce();
    return watchBuilds(dir, dirArg, [out, ...(cacheDir === undefined ? [] : [cacheDir])], io, buildOnce);
  },
};

/**
 * `--watch`: builds once, then again whenever files under DIR change (OUT and the cache
 * excepted), one build at a time (changes during a build start one more after it), until
 * SIGINT or SIGTERM. Each build reports as a plain run does, then one `watch:` line on stderr
 * with its time; a failed build (exit 1) keeps the watch going, so fixing the file rebuilds.
 * The process keeps the compiler loaded and warmed up, which is most of a rebuild's cost.
 */
async function watchBuilds(dir: string, dirArg: string, ignore: readonly string[], io: Io, build: () => Promise<number>): Promise<number> {
  let count = 0;
  let busy: Promise<void> | undefined;
  let again = false;
  const once = async () => {
    const start = performance.now();
    let code: number;
    try {
      code = await build();
    } catch (error) {
      // As main() reports it for a single run, but the watch goes on.
      code = reportInternalError(io, 'compile', error);
    }
    count++;
    writeLine(io.stderr, `watch: build ${count} finished in ${Math.round(performance.now() - start)} ms (exit code ${code}); watching ${dirArg} for changes (Ctrl-C to stop)`);
  };
  const trigger = () => {
    if (busy) {
      again = true;
      return;
    }
    busy = (async () => {
      do {
        again = false;
        await once();
      } while (again);
    })().finally(() => (busy = undefined));
  };
  const stop = untilSignal();
  let broken!: (error: Error) => void;
  const watchBroke = new Promise<Error>((resolve) => (broken = resolve));
  let failure: Error | undefined;
  try {
    // Loaded only here: a plain compile never loads the watcher (chokidar).
    const { watchTree } = await import('../watch.js');
    // The tree is watched before the first build, so a change made during it is not missed.
    const watcher = await watchTree(dir, ignore, trigger, broken);
    trigger();
    failure = await Promise.race([stop.then(() => undefined), watchBroke]);
    await watcher.close();
  } catch (error) {
    failure = error as Error;
  }
  await busy;
  if (failure) {
    writeLine(io.stderr, `error: cannot watch \`${dirArg}\` for changes: ${failure.message}`);
    writeLine(io.stderr, '  = hint: DIR must stay readable; on Linux, many files may need a higher fs.inotify.max_user_watches');
    return EXIT.failed;
  }
  return EXIT.ok;
}

/** Whether a path is an existing directory. */
function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Prints the diagnostics of the compilation (plus repository-level ones) in the chosen format. */
function renderDiagnostics(io: Io, format: string, result: CompileResult, rel: string, extra: readonly Diagnostic[]): void {
  const diagnostics = [...result.report.diagnostics, ...extra];
  const input: RenderInput = {
    diagnostics,
    omitted: result.report.omitted,
    sources: result.sources,
    redact: diagnostics.filter((d) => d.code === 'VG4006').map((d) => d.span),
    displayPath: (file) => (rel === '' ? file : file === '' ? rel : `${rel}/${file}`),
  };
  if (format === 'json') {
    io.stdout.write(renderJson(input));
    return;
  }
  if (diagnostics.length === 0) return;
  io.stderr.write(renderPretty(input, { color: io.color }));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  io.stderr.write(`\n${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
}

/** Prints one line per bundle (path, digest, rules), pending signatures and where the build came from. */
function printBundles(io: Io, format: string, outArg: string, bundles: readonly LoweredBundle[], digests: ReadonlyMap<string, string>, pending: readonly PendingSignature[], facts: SourceFacts): void {
  const pathOf = (group: string) => `targets/${bundleTargetPath(group)}`;
  if (format === 'json') {
    for (const b of bundles) {
      writeLine(io.stdout, JSON.stringify({ group: b.group, ...(b.ring ? { ring: b.ring } : {}), path: `${outArg}/${pathOf(b.group)}`, sha256: digests.get(pathOf(b.group)), rules: b.rules, features: b.document.features }));
    }
    for (const p of pending) writeLine(io.stdout, JSON.stringify({ pending: p }));
    writeLine(io.stdout, JSON.stringify({ source: facts }));
    return;
  }
  const source = facts.from === 'none' ? `no git commit (commit time ${facts.commitTime})` : `commit ${facts.commit.slice(0, 12)}${facts.dirty ? ' with uncommitted changes' : ''}, ${facts.commitTime}`;
  writeLine(io.stdout, `compiled ${bundles.length} bundle${bundles.length === 1 ? '' : 's'} into ${outArg} from ${source}`);
  const width = Math.max(0, ...bundles.map((b) => b.group.length));
  for (const b of bundles) {
    writeLine(io.stdout, `  ${b.group.padEnd(width)}  ${outArg}/${pathOf(b.group)}  sha256:${digests.get(pathOf(b.group)) ?? '?'}  ${b.rules} rule${b.rules === 1 ? '' : 's'}`);
  }
  if (bundles.length === 0) writeLine(io.stdout, '  (no HostGroup is defined, so there is no bundle)');
  for (const p of pending) writeLine(io.stdout, `pending: \`${p.file}\` has ${p.have} of ${p.need} signature(s) for role \`${p.role}\``);
  if (facts.dirty) writeLine(io.stdout, 'note: the policy directory has uncommitted changes; provenance names HEAD and the digests of the files actually compiled');
  if (facts.from === 'none') writeLine(io.stdout, `note: not a git commit; times derive from ${io.env.SOURCE_DATE_EPOCH ? 'SOURCE_DATE_EPOCH' : 'the Unix epoch (set SOURCE_DATE_EPOCH)'}, so metadata may already be expired`);
}

