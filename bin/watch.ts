import path from 'node:path';
import { watch } from 'chokidar';
import { isSkipped } from '../compiler/stages/load.js';
import { isWithin } from './paths.js';

/** Quiet time after the last change before a rebuild starts: an editor's save is several events. */
export const SETTLE_MS = 100;

/** A running watch; `close` stops it. */
export interface TreeWatch {
  close(): Promise<void>;
}

/**
 * Watches every file under `dir` except under `ignore` (OUT and the cache, whose writes are the
 * build's own) and the entries the compiler skips (hidden ones such as .git, and node_modules);
 * resolves once the tree is watched. `onChange` runs when changes have settled (SETTLE_MS without
 * another). chokidar does the watching: Node 20's own recursive fs.watch on Linux loses a file
 * once an editor replaces it (write to a temporary file, then rename), as `sed -i` and many
 * editors do.
 */
export async function watchTree(dir: string, ignore: readonly string[], onChange: () => void, onError: (error: Error) => void): Promise<TreeWatch> {
  const root = path.resolve(dir);
  const ignored = ignore.map((p) => path.resolve(p));
  const skip = (file: string): boolean => {
    const abs = path.resolve(file);
    if (ignored.some((p) => isWithin(abs, p))) return true;
    return abs !== root && isWithin(abs, root) && path.relative(root, abs).split(path.sep).some(isSkipped);
  };
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(root, { ignored: skip, ignoreInitial: true, followSymlinks: true });
  watcher.on('all', () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, SETTLE_MS);
  });
  watcher.on('error', (error) => onError(error instanceof Error ? error : new Error(String(error))));
  await new Promise<void>((resolve) => watcher.once('ready', resolve));
  return {
    async close() {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
