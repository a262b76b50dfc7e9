import { chmodSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CODE_DIGEST_FILE, codeDigest } from '../compiler/code-digest.js';

/**
 * Second half of `npm run build`: bundles the CLI that tsc compiled into dist/ into dist/cli/,
 * so a command loads a few chunks instead of ~250 ESM modules (issue 5: every rebuild pays for
 * it). Code splitting keeps each command lazily loaded (bin/registry.ts imports them
 * dynamically). The worker threads' entries land in the same folder as every chunk, so
 * `new URL('./side-worker.js', import.meta.url)` and `./hec-worker.js` resolve from whichever
 * chunk holds the code that starts them. meta.json (esbuild's metafile) says which modules each
 * file holds; tests/unit/cli/lazy-commands.test.ts reads it.
 */

/** Repository root (this file lives in scripts/). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the bundle goes; package.json `bin` points at its vigil.js. */
export const BUNDLE_DIR = path.join(ROOT, 'dist', 'cli');

/** Output name (without .js) → tsc output it starts from. */
const ENTRIES: Readonly<Record<string, string>> = {
  vigil: 'dist/bin/vigil.js',
  'side-worker': 'dist/compiler/history/side-worker.js',
  'hec-worker': 'dist/runtime/sources/hec-worker.js',
};

// Bundled CommonJS packages call require() for Node's built-ins; an ES module has none.
const BANNER = "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);";

/** Builds the bundle beside dist/cli, then swaps it in, so a running `vigil` never sees half of it. */
async function main(): Promise<void> {
  for (const entry of Object.values(ENTRIES)) {
    if (!existsSync(path.join(ROOT, entry))) throw new Error(`${entry} is missing: run tsc -p tsconfig.build.json first`);
  }
  const staging = `${BUNDLE_DIR}.new-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, path.join(ROOT, file)])),
      outdir: staging,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20.17',
      // Native addon: loaded from node_modules as it is.
      external: ['better-sqlite3'],
      banner: { js: BANNER },
      // Chunks beside the entries (no subfolders): the worker URLs above depend on it.
      chunkNames: '[name]-[hash]',
      entryNames: '[name]',
      charset: 'utf8',
      // The bundled packages' license notices, at the end of each file.
      legalComments: 'eof',
      // No source maps and no minifying: neither made a command start measurably faster, and a
      // stack trace (never shown for bad input) stays readable, each module under its dist/ path.
      metafile: true,
      logLevel: 'warning',
    });
    // Output paths as where they end up (dist/cli/...), not the staging folder's name.
    const rel = (dir: string) => path.relative(ROOT, dir).split(path.sep).join('/') + '/';
    const meta = JSON.stringify(result.metafile, null, 1).split(rel(staging)).join(rel(BUNDLE_DIR));
    writeFileSync(path.join(staging, 'meta.json'), meta + '\n');
    chmodSync(path.join(staging, 'vigil.js'), 0o755);
    writeFileSync(path.join(staging, CODE_DIGEST_FILE), `${codeDigest(staging)}\n`);
    swapIn(staging);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Replaces dist/cli with `staging`; retried when a concurrent build swapped in between. */
function swapIn(staging: string): void {
  for (let attempt = 0; ; attempt++) {
    const old = `${BUNDLE_DIR}.old-${process.pid}-${attempt}`;
    try {
      if (existsSync(BUNDLE_DIR)) renameSync(BUNDLE_DIR, old);
      renameSync(staging, BUNDLE_DIR);
      rmSync(old, { recursive: true, force: true });
      return;
    } catch (error) {
      rmSync(old, { recursive: true, force: true });
      if (attempt >= 5) throw error;
    }
  }
}

await main();
