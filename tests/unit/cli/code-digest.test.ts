import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODE_DIGEST_FILE } from '../../../compiler/code-digest.js';
import { CLI, REPO_ROOT } from '../../helpers/cli.js';

/**
 * The built CLI's code digest (dist/cli/code-digest.txt, written by scripts/bundle-cli.ts) is
 * what keys the compile cache to the compiler: it must be the digest of the chunks beside it,
 * and a different digest must start a new cache instead of reusing the old entries.
 */

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-code-digest-'));
});
const copies: string[] = [];
afterAll(() => {
  for (const d of [dir, ...copies]) rmSync(d, { recursive: true, force: true });
});

/** The fingerprint folders of a cache directory. */
const fingerprints = (cache: string): string[] => readdirSync(cache).sort();

describe('the bundle code digest', () => {
  it('is the SHA-256 of the bundle chunks, by name', () => {
    const bundleDir = path.dirname(CLI);
    const hash = createHash('sha256');
    for (const name of readdirSync(bundleDir).filter((n) => n.endsWith('.js')).sort()) hash.update(`\0${name}\0`).update(readFileSync(path.join(bundleDir, name)));
    expect(readFileSync(path.join(bundleDir, CODE_DIGEST_FILE), 'utf8').trim()).toBe(hash.digest('hex'));
  });

  it('keys the compile cache: the same digest reuses it, another one starts afresh', () => {
    // A copy of the bundle beside it (its require() of packages resolves from node_modules), so
    // its digest file can be changed without touching the bundle the other tests run.
    const cli = mkdtempSync(path.join(REPO_ROOT, 'dist', 'cli-digest-test-'));
    copies.push(cli);
    cpSync(path.dirname(CLI), cli, { recursive: true });
    const cache = path.join(dir, 'cache');
    const check = () => {
      const r = spawnSync(process.execPath, [path.join(cli, 'vigil.js'), 'check', path.join(REPO_ROOT, 'examples/minimal'), '--cache', cache], { encoding: 'utf8', env: { ...process.env, CI: '1', NO_COLOR: '1' } });
      expect(r.status, r.stderr).toBe(0);
    };
    check();
    check();
    const first = fingerprints(cache);
    expect(first).toHaveLength(1);
    writeFileSync(path.join(cli, CODE_DIGEST_FILE), `${'0'.repeat(64)}\n`);
    check();
    const second = fingerprints(cache);
    expect(second).toHaveLength(2);
    expect(second).toEqual(expect.arrayContaining(first));
  });
});
