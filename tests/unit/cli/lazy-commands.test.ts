import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT } from '../../helpers/cli.js';

/**
 * `vigil --help` and every command must start without importing the command modules they do
 * not run (those pull in the compiler, ajv, sqlite, ...). The built CLI runs under a module
 * hook that records every URL it resolves, so the check is on what was loaded, not on time.
 */

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.VIGIL_TRACE_IMPORTS, result.url + '\\n');
  return result;
}
`;

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-lazy-'));
  writeFileSync(path.join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(path.join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the built CLI and returns its exit code and the repository-relative files it loaded. */
function traced(args: readonly string[]): { code: number | null; stderr: string; loaded: string[] } {
  const trace = path.join(dir, `trace-${args.join('-').replace(/[^a-z0-9-]/gi, '_')}.txt`);
  writeFileSync(trace, '');
  const run = spawnSync(process.execPath, ['--import', pathToFileURL(path.join(dir, 'register.mjs')).href, CLI, ...args], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', CI: '1', VIGIL_CACHE: 'off', VIGIL_TRACE_IMPORTS: trace },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const root = pathToFileURL(REPO_ROOT).href + '/';
  const loaded = readFileSync(trace, 'utf8').split('\n').filter((u) => u.startsWith(root)).map((u) => u.slice(root.length));
  return { code: run.status, stderr: run.stderr, loaded: [...new Set(loaded)].sort() };
}

/** The files a run may load before it knows which command runs: the entry, the registry and the specs. */
function isStartupFile(file: string): boolean {
  return /^dist\/bin\/(vigil|main|io|command|registry)\.js$/.test(file) || /^dist\/bin\/commands\/[a-z-]+-spec\.js$/.test(file);
}

describe('the CLI loads only the command it runs', () => {
  it.each([[['--help']], [['--version']], [[]], [['chek']], [['compile', '--help']], [['trust', 'init', '--help']], [['eval', '-h']]])(
    'vigil %j loads no command module and no dependency',
    (args) => {
      const { code, loaded } = traced(args);
      expect(code).not.toBeNull();
      // The hook saw the registry, so an empty list below is not a hook that recorded nothing.
      expect(loaded).toContain('dist/bin/registry.js');
      expect(loaded.filter((f) => !isStartupFile(f))).toEqual([]);
    },
  );

  it('a command run loads its own module and not the others', () => {
    const { code, stderr, loaded } = traced(['keygen', '--out', path.join(dir, 'k')]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(loaded).toContain('dist/bin/commands/keygen.js');
    const commands = loaded.filter((f) => /^dist\/bin\/commands\/[a-z-]+\.js$/.test(f) && !f.endsWith('-spec.js'));
    expect(commands).toEqual(['dist/bin/commands/keygen.js']);
    expect(loaded.filter((f) => /node_modules\/(ajv|yaml|better-sqlite3|nodemailer|simple-git)\//.test(f))).toEqual([]);
  });

  it('a compile that stops at its diagnostics never loads the signing code', () => {
    const broken = path.join(REPO_ROOT, 'examples/broken/VG2001-unknown-field');
    const { code, loaded } = traced(['compile', broken, '--out', path.join(dir, 'out'), '--no-cache']);
    expect(code).toBe(1);
    expect(loaded).toContain('dist/bin/commands/compile.js');
    expect(loaded.filter((f) => f.includes('node_modules/@tufjs/') || f === 'dist/runtime/bundle/key-files.js')).toEqual([]);
  });

  it('a check loads no Ajv: every schema validator is precompiled', () => {
    const { code, stderr, loaded } = traced(['check', path.join(REPO_ROOT, 'examples/minimal'), '--no-cache']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(loaded).toContain('dist/compiler/stages/schema-registry.js');
    expect(loaded.filter((f) => /node_modules\/ajv(-formats)?\/dist\/(ajv|2020|index)\.js$/.test(f))).toEqual([]);
  });
});
