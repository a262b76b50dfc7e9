import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../bin/main.js';
import { cacheOf, pipelineOf } from '../../../bin/compile-options.js';
import { UsageError } from '../../../bin/command.js';
import { memoryIo } from '../../helpers/memory-io.js';
import { REPO_ROOT } from '../../helpers/cli.js';

/** The options every compiling command shares: one default pipeline, one cache resolution. */
describe('compile options', () => {
  it('defaults to the windows pipeline, maps `none` to no pipeline, and refuses an empty name', () => {
    expect(pipelineOf(undefined)).toEqual({ pipeline: 'windows' });
    expect(pipelineOf('none')).toEqual({});
    expect(pipelineOf('custom.yml')).toEqual({ pipeline: 'custom.yml' });
    expect(() => pipelineOf(' ')).toThrow(UsageError);
  });

  it('refuses --cache with --no-cache, and gives no cache directory with --no-cache', () => {
    const io = memoryIo(REPO_ROOT, {});
    expect(() => cacheOf(io, 'c', true)).toThrow(/exclude each other/);
    expect(cacheOf(io, undefined, true)).toEqual({});
    expect(cacheOf(io, 'c', undefined)).toEqual({ cacheDir: path.join(REPO_ROOT, 'c') });
  });

  it('makes an empty --pipeline a usage error (exit 2) in check and compile alike', async () => {
    for (const argv of [['check', 'examples/minimal', '--pipeline', ''], ['compile', 'examples/minimal', '--out', 'never-written', '--pipeline', '']]) {
      const io = memoryIo(REPO_ROOT);
      expect(await main(argv, io)).toBe(2);
      expect(io.stderr.text).toMatch(/--pipeline needs a name[\s\S]*vigil (check|compile) --help/);
    }
  });
});
