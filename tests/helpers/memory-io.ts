import { Writable } from 'node:stream';
import type { Io } from '../../bin/io.js';

/** A Writable that keeps what is written to it as text. */
export class TextSink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** An in-memory Io for running commands in-process: no colour, no progress. */
export function memoryIo(cwd = process.cwd(), env: NodeJS.ProcessEnv = { VIGIL_CACHE: 'off' }): Io & { stdout: TextSink; stderr: TextSink } {
  return { stdout: new TextSink(), stderr: new TextSink(), color: false, progress: false, cwd, env };
}
