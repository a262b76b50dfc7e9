/**
 * The options every compiling command shares (`check`, `compile`, `plan`, `diff`, `history`),
 * parsed one way so they cannot drift: the same default pipeline means a rule test passes or
 * fails alike in `vigil check` and in the bundle's self-test.
 */
import { cacheDirFor } from '../compiler/cache.js';
import { UsageError } from './command.js';
import type { Io } from './io.js';

/** The Sigma pipeline applied when `--pipeline` is not given. */
export const DEFAULT_PIPELINE = 'windows';

/** `--pipeline NAME`: a pipeline name or file, `none` for no pipeline; the default is `windows`. */
export function pipelineOf(value: string | undefined): { pipeline?: string } {
  if (value !== undefined && value.trim() === '') throw new UsageError('--pipeline needs a name');
  const name = value ?? DEFAULT_PIPELINE;
  return name === 'none' ? {} : { pipeline: name };
}

/** `--cache DIR` / `--no-cache`, with the environment's default cache directory. */
export function cacheOf(io: Io, option: string | undefined, disabled: boolean | undefined): { cacheDir?: string } {
  if (option !== undefined && disabled) throw new UsageError('--cache and --no-cache exclude each other');
  const cacheDir = cacheDirFor(option, disabled, io.env, io.cwd);
  return cacheDir === undefined ? {} : { cacheDir };
}
