import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT } from '../../helpers/cli.js';

/**
 * `vigil --help` and every command must start without loading the command modules they do not
 * run (those pull in the compiler, ajv, sqlite, ...). The built CLI (the esbuild bundle in
 * dist/cli/, scripts/bundle-cli.ts) runs under hooks that record every ES module URL it resolves
 * and every file it require()s, so the check is on what was loaded, not on time. A bundle file
 * holds many modules: its esbuild metafile (dist/cli/meta.json) says which, so the assertions
 * name source modules (as tsc compiled them into dist/) and packages, whichever chunk holds them.
 */

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.VIGIL_TRACE_IMPORTS, result.url + '\\n');
  return result;
}
`;

// require() (createRequire in ES modules, CommonJS packages) bypasses the ES module hooks.
const REGISTER = (hooks: string) => `import { register } from 'node:module';
import Module from 'node:module';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
register(${JSON.stringify(hooks)});
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolveFilename.apply(this, args);
  if (path.isAbsolute(file)) appendFileSync(process.env.VIGIL_TRACE_IMPORTS, pathToFileURL(file).href + '\\n');
  return file;
};
`;

let dir = '';
/** Bundle file (repository-relative) → the modules it holds (repository-relative). */
let bundled = new Map<string, string[]>();

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-lazy-'));
  writeFileSync(path.join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(path.join(dir, 'register.mjs'), REGISTER(pathToFileURL(path.join(dir, 'hooks.mjs')).href));
  const meta = JSON.parse(readFileSync(path.join(path.dirname(CLI), 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  bundled = new Map(Object.entries(meta.outputs).map(([file, output]) => [file, Object.keys(output.inputs)]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the built CLI: its exit code, the repository-relative files it loaded and the modules they hold. */
function traced(args: readonly string[]): { code: number | null; stderr: string; files: string[]; modules: string[] } {
  const trace = path.join(dir, `trace-${args.join('-').replace(/[^a-z0-9-]/gi, '_')}.txt`);
  writeFileSync(trace, '');
  const run = spawnSync(process.execPath, ['--import', pathToFileURL(path.join(dir, 'register.mjs')).href, CLI, ...args], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', CI: '1', VIGIL_CACHE: 'off', VIGIL_TRACE_IMPORTS: trace },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const root = pathToFileURL(REPO_ROOT).href + '/';
  const files = [...new Set(readFileSync(trace, 'utf8').split('\n').filter((u) => u.startsWith(root)).map((u) => u.slice(root.length)))].sort();
  const modules = [...new Set(files.flatMap((f) => bundled.get(f) ?? [f]))].sort();
  return { code: run.status, stderr: run.stderr, files, modules };
}

/** The modules a run may load before it knows which command runs: the entry, the registry and the specs. */
function isStartupModule(file: string): boolean {
  return /^dist\/bin\/(vigil|main|io|command|registry)\.js$/.test(file) || /^dist\/bin\/commands\/[a-z-]+-spec\.js$/.test(file);
}

/** The command modules (not their specs) among the loaded modules. */
function commandModules(modules: readonly string[]): string[] {
  return modules.filter((f) => /^dist\/bin\/commands\/[a-z-]+\.js$/.test(f) && !f.endsWith('-spec.js'));
}

describe('the CLI loads only the command it runs', () => {
  it.each([[['--help']], [['--version']], [[]], [['chek']], [['compile', '--help']], [['trust', 'init', '--help']], [['eval', '-h']]])(
    'vigil %j loads no command module and no dependency',
    (args) => {
      const { code, files, modules } = traced(args);
      expect(code).not.toBeNull();
      expect(files).toContain('dist/cli/vigil.js');
      // The hook saw the registry, so an empty list below is not a hook that recorded nothing.
      expect(modules).toContain('dist/bin/registry.js');
      expect(modules.filter((f) => !isStartupModule(f))).toEqual([]);
    },
  );

  it('a command run loads its own module and not the others', () => {
    const { code, stderr, modules } = traced(['keygen', '--out', path.join(dir, 'k')]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(commandModules(modules)).toEqual(['dist/bin/commands/keygen.js']);
    expect(modules.filter((f) => /node_modules\/(ajv|yaml|better-sqlite3|nodemailer|simple-git)\//.test(f))).toEqual([]);
  });

  it('a compile that stops at its diagnostics never loads the signing code', () => {
    const broken = path.join(REPO_ROOT, 'examples/broken/VG2001-unknown-field');
    const { code, modules } = traced(['compile', broken, '--out', path.join(dir, 'out'), '--no-cache']);
    expect(code).toBe(1);
    expect(commandModules(modules)).toEqual(['dist/bin/commands/compile.js']);
    // The compiler did run (the bundled yaml parser read the files).
    expect(modules.some((f) => f.includes('node_modules/yaml/'))).toBe(true);
    expect(modules.filter((f) => f.includes('node_modules/@tufjs/') || f === 'dist/runtime/bundle/key-files.js')).toEqual([]);
    // The watcher is loaded by --watch only.
    expect(modules.filter((f) => f.includes('node_modules/chokidar/') || f === 'dist/bin/watch.js')).toEqual([]);
  });

  it('a check loads no Ajv: every schema validator is precompiled', () => {
    const { code, stderr, modules } = traced(['check', path.join(REPO_ROOT, 'examples/minimal'), '--no-cache']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(modules).toContain('dist/compiler/stages/schema-registry.js');
    // The precompiled validators require() Ajv's small runtime helpers: the require hook records.
    expect(modules.some((f) => f.includes('node_modules/ajv/dist/runtime/'))).toBe(true);
    expect(modules.filter((f) => /node_modules\/ajv(-formats)?\/dist\/(ajv|2020|index)\.js$/.test(f))).toEqual([]);
  });

  it('a check loads the validators of the kinds it meets and no other', () => {
    const { code, modules } = traced(['check', path.join(REPO_ROOT, 'examples/minimal'), '--no-cache']);
    expect(code).toBe(0);
    const validators = modules.filter((f) => /^dist\/schema\/generated\/validate-[a-z-]+\.js$/.test(f)).map((f) => f.slice('dist/schema/generated/validate-'.length, -3));
    // examples/minimal holds Sigma rules, a package, host groups and hosts: no action, credential or service.
    expect(validators.sort()).toEqual(['host', 'host-group', 'package', 'sigma-rule']);
    // Nor the regex engine: no rule there uses `|re`.
    expect(modules.filter((f) => f.includes('node_modules/re2js/'))).toEqual([]);
  });
});
