/**
 * How the agent turns an engine alert into what its actions deliver and what it prints: the
 * `vigil eval` JSON object plus host, bundle and source.
 */
import { Writable } from 'node:stream';
import type { AlertRecord } from './actions/alert-record.js';
import { alertObject } from './engine/alert-json.js';
import type { PolicyAlert } from './engine/policy-engine.js';

/**
 * An alert as the JSON object `vigil eval` prints, plus the host, the bundle that raised it and,
 * for an event from a configured source, the LogSource name. `matched` (the event itself, for
 * detections) is for actions that keep evidence; the stdout output leaves it out.
 */
export function alertRecord(alert: PolicyAlert, host: string, digest: string, event: unknown, source: string | undefined): AlertRecord {
  const base: AlertRecord = { ...(alertObject(alert) as { rule: string }), host, bundle: digest.slice(0, 12), ...(source !== undefined ? { source } : {}) };
  return alert.kind === 'detection' ? { ...base, matched: event as Record<string, unknown> } : base;
}


/** A stream whose lines go to `alert` (where `alert` actions with `output: stdout` write). */
export function lineWriter(alert: (line: string) => void): Writable {
  let partial = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      try {
        for (const l of lines) alert(l);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
}
