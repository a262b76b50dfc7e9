import type { CodeInfo } from './code-info.js';

/** Diagnostics for Sigma rule semantics (VG6xxx): detections, modifiers, conditions, correlations. */
export const SIGMA_CODES = {
  VG6001: {
    slug: 'sigma-unknown-modifier',
    severity: 'error',
    title: 'A Sigma field uses a value modifier that the specification does not define',
    message: 'unknown value modifier `{modifier}`',
    hint: 'known modifiers: contains, startswith, endswith, all, re, cidr, ...',
  },
} as const satisfies Record<string, CodeInfo>;
