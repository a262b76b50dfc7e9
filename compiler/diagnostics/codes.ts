import type { CodeInfo } from './code-info.js';
import { SIGMA_CODES } from './sigma-codes.js';

/**
 * The catalog of every diagnostic code: the only place diagnostic text lives.
 * The first digit gives the stage: VG1 load/parse, VG2 validate, VG3 resolve, VG4 check,
 * VG5 lower/emit/sign, VG6 Sigma semantics, VG9000 internal error.
 */
const CORE_CODES = {
  VG1001: {
    slug: 'yaml-syntax',
    severity: 'error',
    title: 'The file is not well-formed YAML',
    message: '{detail}',
    hint: 'fix the YAML syntax; the rest of the repository is still checked',
  },
  VG9000: {
    slug: 'internal-error',
    severity: 'error',
    title: 'Vigil hit an internal error while processing this file',
    message: 'internal error: {detail}',
    hint: 'this is a bug in Vigil; please report it with the file that triggered it',
  },
} as const satisfies Record<string, CodeInfo>;

export const CODES: Readonly<Record<CodeId, CodeInfo>> = { ...CORE_CODES, ...SIGMA_CODES };

/** Every known diagnostic code. */
export type CodeId = keyof typeof CORE_CODES | keyof typeof SIGMA_CODES;
