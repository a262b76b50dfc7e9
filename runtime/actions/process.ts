/**
 * The process action: runs a program with the alert as JSON on standard input. The program is
 * started from its absolute path with an argument array, never through a shell, so nothing in an
 * alert can become a command. Exit code 0 means delivered; a timeout kills it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ActionSpec } from '../../schema/generated/action.js';
import type { AlertRecord, Deliver } from './alert-record.js';
import { alertLine } from './alert.js';
import { durationMs } from './duration.js';

type ProcessSpec = NonNullable<ActionSpec['process']>;

/** Builds the deliverer of a `process` action; refuses a relative command path. */
export function processDeliverer(spec: ProcessSpec): Deliver {
  if (!path.isAbsolute(spec.command) && !path.win32.isAbsolute(spec.command)) throw new Error('the process command must be an absolute path');
  const timeout = durationMs(spec.timeout, 30_000);
  return (alert: AlertRecord) =>
    new Promise((resolve, reject) => {
      const child = spawn(spec.command, spec.args ?? [], { shell: false, windowsHide: true, stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
      child.stderr.on('data', (d: Buffer) => {
        if (stderr.length < 500) stderr += d.toString();
      });
      child.stdin.on('error', () => undefined);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(signal ? `killed by ${signal} (timeout ${timeout} ms)` : `exited with ${code}: ${stderr.trim().slice(0, 200)}`));
      });
      child.stdin.end(alertLine(alert) + '\n');
    });
}
