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
  // On POSIX the program leads its own process group, so a timeout kills what it started too
  // (a child left holding its stderr would otherwise keep this delivery waiting).
  const group = process.platform !== 'win32';
  return (alert: AlertRecord, stop?: AbortSignal) =>
    new Promise((resolve, reject) => {
      const child = spawn(spec.command, spec.args ?? [], { shell: false, windowsHide: true, stdio: ['pipe', 'ignore', 'pipe'], detached: group });
      let stderr = '';
      let killed = false;
      let done = false;
      const kill = () => {
        killed = true;
        try {
          if (group && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          else child.kill('SIGKILL');
        } catch {
          // Already gone.
        }
      };
      const timer = setTimeout(kill, timeout);
      stop?.addEventListener('abort', kill, { once: true });
      const settle = () => {
        clearTimeout(timer);
        stop?.removeEventListener('abort', kill);
        child.stderr.destroy();
      };
      child.stderr.on('data', (d: Buffer) => {
        if (stderr.length < 500) stderr += d.toString();
      });
      child.stdin.on('error', () => undefined);
      child.on('error', (error) => {
        if (done) return;
        done = true;
        settle();
        reject(error);
      });
      let status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      const finish = () => {
        if (done || !status) return;
        done = true;
        settle();
        const { code, signal } = status;
        if (code === 0) resolve();
        else reject(new Error(signal ? `killed by ${signal}${killed ? ` (timeout ${timeout} ms, or the agent stopped)` : ''}` : `exited with ${code}: ${stderr.trim().slice(0, 200)}`));
      };
      // `close` comes once the pipes are drained; a grandchild may hold them open, so `exit` settles
      // too, a moment later (time for the program's last stderr words).
      child.on('exit', (code, signal) => {
        status = { code, signal };
        setTimeout(finish, 200);
      });
      child.on('close', (code, signal) => {
        status ??= { code, signal };
        finish();
      });
      child.stdin.end(alertLine(alert) + '\n');
    });
}
