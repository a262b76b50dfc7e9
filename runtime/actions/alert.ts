/**
 * The default action: each alert as one JSON line, on the agent's standard output (the form
 * `vigil eval` prints) or, on Windows, in the Application event log.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { AlertRecord, Deliver } from './alert-record.js';

/** The JSON line of an alert (no trailing newline). */
export function alertLine(alert: AlertRecord): string {
  return JSON.stringify(alert);
}

/** The stdout form of an alert: the `vigil eval` line, without the matched event (evidence is for file and webhook actions). */
export function summaryLine(alert: AlertRecord): string {
  const { matched: _matched, ...rest } = alert;
  return JSON.stringify(rest);
}

/** Writes alerts as JSON Lines to a stream; resolves once the line is handed to the OS. */
export function streamDeliverer(out: Writable): Deliver {
  return (alert) =>
    new Promise((resolve, reject) => {
      out.write(summaryLine(alert) + '\n', (error) => (error ? reject(error) : resolve()));
    });
}

/** Writes alerts to the Windows Application event log through eventcreate.exe (argv, never a shell). */
export function eventLogDeliverer(): Deliver {
  return (alert) =>
    new Promise((resolve, reject) => {
      if (process.platform !== 'win32') return reject(new Error('the event log output needs Windows'));
      const exe = path.join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'eventcreate.exe');
      const type = ['high', 'critical'].includes(alert.level ?? '') ? 'ERROR' : 'WARNING';
      // eventcreate limits descriptions; the full alert goes to the other actions.
      const child = spawn(exe, ['/L', 'APPLICATION', '/T', type, '/SO', 'Vigil', '/ID', '1000', '/D', alertLine(alert).slice(0, 30_000)], { shell: false, windowsHide: true, stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`eventcreate exited with ${code}`))));
    });
}
