import type { StageName } from '../compiler/pipeline.js';
import type { Io } from './io.js';

/** A one-line progress display on stderr for long compiler runs; commands create it only when io.progress. */
export function progressLine(io: Io): { update: (stage: StageName, done: number, total: number) => void; done: () => void } {
  let shown = false;
  return {
    update(stage, done, total) {
      // Small repositories finish before a progress line would help anyone.
      if (total < 500) return;
      shown = true;
      io.stderr.write(`\r\u001b[2K${stage} ${done}/${total}`);
    },
    done() {
      if (shown) io.stderr.write('\r\u001b[2K');
    },
  };
}
