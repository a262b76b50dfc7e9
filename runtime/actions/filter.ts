/**
 * Which alerts an Action takes: those at or above its `minLevel`, at most one per rule and host
 * within its `throttle` window.
 */
import type { ActionSpec } from '../../schema/generated/action.js';
import { levelRank, type AlertRecord } from './alert-record.js';
import { durationMs } from './duration.js';

/** Decides, alert by alert, whether the action fires (remembering throttle windows). */
export function actionFilter(spec: ActionSpec): (alert: AlertRecord, now?: number) => boolean {
  const min = levelRank(spec.minLevel);
  const throttle = durationMs(spec.throttle, 0);
  const last = new Map<string, number>();
  return (alert, now = Date.now()) => {
    if (levelRank(alert.level) < min) return false;
    if (throttle <= 0) return true;
    const key = `${alert.rule}\n${alert.host ?? ''}`;
    const prev = last.get(key);
    if (prev !== undefined && now - prev < throttle) return false;
    last.set(key, now);
    // Forget old windows so the map stays as small as the set of recently firing rules.
    if (last.size > 10_000) for (const [k, t] of last) if (now - t >= throttle) last.delete(k);
    return true;
  };
}
