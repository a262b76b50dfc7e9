import { FEATURE_NAMES, type FeatureName } from '../runtime/engine/capabilities.js';
import { IR_VERSION } from '../runtime/engine/ir.js';

/**
 * Which agent version first runs each bundle feature. The compiler refuses a bundle whose host
 * group allows agents older than a feature it uses (HostGroup `spec.minAgentVersion`), so an old
 * agent is never sent content it would refuse. Typed by the runtime's feature list, so a feature
 * cannot be added on one side only.
 */
export const FEATURE_SINCE: Readonly<Record<FeatureName, string>> = Object.fromEntries(FEATURE_NAMES.map((f) => [f, '0.1.0'])) as Record<FeatureName, string>;

/** The agent version that first reads each IR version. */
export const IR_VERSION_SINCE: Readonly<Record<number, string>> = { 1: '0.1.0' };

/** The IR version this compiler writes. */
export const CURRENT_IR_VERSION = IR_VERSION;

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$/;

/** Compares two semantic versions (pre-releases sort before their release); NaN when either is malformed. */
export function compareVersions(a: string, b: string): number {
  const x = SEMVER.exec(a);
  const y = SEMVER.exec(b);
  if (!x || !y) return Number.NaN;
  for (let i = 1; i <= 3; i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return Math.sign(d);
  }
  if (x[4] === y[4]) return 0;
  if (x[4] === undefined) return 1;
  if (y[4] === undefined) return -1;
  return comparePrerelease(x[4], y[4]);
}

/** SemVer §11: dot-separated identifiers, numeric ones compared as numbers and below alphanumeric ones. */
function comparePrerelease(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const u = pa[i];
    const v = pb[i];
    if (u === undefined) return -1;
    if (v === undefined) return 1;
    const nu = /^\d+$/.test(u);
    const nv = /^\d+$/.test(v);
    if (nu && nv && Number(u) !== Number(v)) return Math.sign(Number(u) - Number(v));
    if (nu !== nv) return nu ? -1 : 1;
    if (u !== v) return u < v ? -1 : 1;
  }
  return 0;
}

/** What an agent of `version` cannot run among `features` (and the IR version), with the version each needs. */
export function tooNew(version: string, irVersion: number, features: readonly string[]): { readonly feature: string; readonly needs: string }[] {
  const out: { feature: string; needs: string }[] = [];
  const irSince = IR_VERSION_SINCE[irVersion];
  if (irSince !== undefined && compareVersions(version, irSince) < 0) out.push({ feature: `IR version ${irVersion}`, needs: irSince });
  for (const f of features) {
    const since = (FEATURE_SINCE as Readonly<Record<string, string>>)[f];
    if (since !== undefined && compareVersions(version, since) < 0) out.push({ feature: f, needs: since });
  }
  return out;
}
