import { parentPort, workerData } from 'node:worker_threads';
import type { Input } from '../index.js';
import { loadSide, type SideOptions } from './side.js';

/** Worker thread entry of `loadSides`: compiles one side and posts its snapshot (plain data, structured-cloned). */
const { input, options } = workerData as { input: Input; options: SideOptions };
parentPort?.postMessage(await loadSide(input, options));
