import type { CodeInfo } from './code-info.js';
import { SIGMA_CODES } from './sigma-codes.js';
import { LOWER_CODES } from './lower-codes.js';
import { POLICY_CODES } from './policy-codes.js';

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
  VG1002: {
    slug: 'duplicate-key',
    severity: 'error',
    title: 'A YAML mapping defines the same key twice',
    message: 'duplicate key `{key}`',
    hint: 'YAML keeps only one of the values; remove or rename one of the keys',
  },
  VG1003: {
    slug: 'alias-bomb',
    severity: 'error',
    title: 'A document expands YAML aliases too many times (a "billion laughs" alias bomb)',
    message: 'the document expands YAML aliases more than {limit} times',
    hint: 'policy documents do not need nested aliases; write the values out',
  },
  VG1004: {
    slug: 'unresolved-alias',
    severity: 'error',
    title: 'A YAML alias names an anchor that is not defined before it',
    message: 'alias `*{alias}` has no anchor `&{alias}` before it',
    hint: 'define the anchor before the alias, or write the value out',
  },
  VG1005: {
    slug: 'nesting-too-deep',
    severity: 'error',
    title: 'A YAML document nests collections deeper than Vigil reads',
    message: 'collections are nested too deeply to read',
    hint: 'policy documents are shallow; this file is probably corrupt or hostile',
  },
  VG1006: {
    slug: 'file-too-large',
    severity: 'error',
    title: 'A policy file is larger than the size limit',
    message: 'file is {size} bytes, over the {limit}-byte limit for a policy file',
    hint: 'split the file, or move data that is not policy out of the policy directory',
  },
  VG1007: {
    slug: 'binary-file',
    severity: 'error',
    title: 'A .yml/.yaml file contains binary data',
    message: 'file contains binary data (a NUL byte)',
    hint: 'policy files are UTF-8 text; remove the file or rename it without a .yml/.yaml extension',
  },
  VG1008: {
    slug: 'invalid-utf8',
    severity: 'error',
    title: 'A policy file is not valid UTF-8',
    message: 'invalid UTF-8 byte sequence at byte {byte}',
    hint: 're-save the file as UTF-8',
  },
  VG1009: {
    slug: 'empty-file',
    severity: 'warning',
    title: 'A policy file contains no YAML document',
    message: 'file contains no YAML document',
    hint: 'delete the file, or add a policy document to it',
  },
  VG1010: {
    slug: 'unreadable-path',
    severity: 'error',
    title: 'A file or directory in the policy repository cannot be read',
    message: 'cannot read this path: {reason}',
    hint: 'check the permissions and that the path exists',
  },
  VG1011: {
    slug: 'symlink-loop',
    severity: 'error',
    title: 'A symbolic link leads back into a directory already being read',
    message: 'symbolic link loop: this link leads back to `{target}`',
    hint: 'remove the link, or point it outside the policy repository',
  },
  VG1012: {
    slug: 'input-not-found',
    severity: 'error',
    title: 'The policy directory or git ref given on the command line does not exist',
    message: '{detail}',
    hint: 'check the directory path or the git ref',
  },
  VG1013: {
    slug: 'no-policy-files',
    severity: 'warning',
    title: 'The policy directory contains no .yml or .yaml file',
    message: 'no .yml or .yaml files found',
    hint: 'point `vigil check` at the directory that holds the policy files',
  },
  VG1014: {
    slug: 'changed-during-build',
    severity: 'error',
    title: 'A file changed while it was being compiled',
    message: 'the file changed while it was being compiled',
    hint: 'build again (`vigil compile --watch` does so by itself once the file is saved)',
  },
  VG2001: {
    slug: 'unknown-field',
    severity: 'error',
    title: 'A document has a field that its kind does not define',
    message: 'unknown field `{field}` in {where}',
  },
  VG2002: {
    slug: 'missing-field',
    severity: 'error',
    title: 'A document lacks a field that its kind requires',
    message: 'missing required field `{field}` in {where}',
  },
  VG2003: {
    slug: 'wrong-type',
    severity: 'error',
    title: 'A value has the wrong type',
    message: '{where} must be {expected}, found {actual}',
  },
  VG2004: {
    slug: 'invalid-value',
    severity: 'error',
    title: 'A value is not one of the values its field allows',
    message: '{where} must be one of the allowed values',
  },
  VG2005: {
    slug: 'invalid-format',
    severity: 'error',
    title: 'A string value does not have the format its field requires',
    message: '{where} does not match the expected format',
  },
  VG2006: {
    slug: 'out-of-range',
    severity: 'error',
    title: 'A value is outside the range, length or size its field allows',
    message: '{where} {constraint}',
  },
  VG2007: {
    slug: 'schema-violation',
    severity: 'error',
    title: 'A value breaks a rule of its kind\'s schema not covered by a more specific code',
    message: '{where} {detail}',
  },
  VG2008: {
    slug: 'unknown-kind',
    severity: 'error',
    title: 'A vigil/v1 document names a kind that does not exist',
    message: 'unknown kind `{kind}`',
  },
  VG2009: {
    slug: 'unknown-api-version',
    severity: 'error',
    title: 'A document declares an apiVersion that Vigil does not support',
    message: 'unsupported apiVersion `{version}`',
    hint: 'use `apiVersion: vigil/v1`',
  },
  VG2010: {
    slug: 'unrecognized-document',
    severity: 'error',
    title: 'A YAML document is neither a vigil/v1 policy nor a Sigma rule',
    message: 'document is neither a vigil/v1 policy nor a Sigma rule',
    hint: 'add `apiVersion: vigil/v1` and `kind`, or give a Sigma rule its `logsource` and `detection`',
  },
  VG3001: {
    slug: 'unknown-reference',
    severity: 'error',
    title: 'A document refers to a policy of another kind that does not exist',
    message: 'unknown {kind} `{name}`',
  },
  VG3002: {
    slug: 'unknown-rule-id',
    severity: 'error',
    title: 'A package selects a Sigma rule id that no rule in the repository has',
    message: 'no Sigma rule has id `{id}`',
  },
  VG3003: {
    slug: 'unknown-rule-path',
    severity: 'error',
    title: 'A package selects a Sigma rule file that does not exist',
    message: 'no Sigma rule at path `{path}`',
  },
  VG3004: {
    slug: 'empty-rule-selector',
    severity: 'warning',
    title: 'A package\'s glob or tag selects no Sigma rule',
    message: '{selector} `{value}` selects no Sigma rule',
    hint: 'check the pattern; paths are relative to the repository root',
  },
  VG3005: {
    slug: 'empty-host-group',
    severity: 'warning',
    title: 'A host group has no hosts',
    message: 'host group `{name}` has no hosts',
    hint: 'list hosts explicitly, or check the label selector against the Host documents',
  },
  VG4001: {
    slug: 'duplicate-id',
    severity: 'error',
    title: 'Two documents define the same kind and name, or the same Sigma rule id',
    message: '{what} `{name}` is defined more than once',
    hint: 'names and rule ids must be unique in the repository; rename or remove one of them',
  },
  VG4006: {
    slug: 'plaintext-secret',
    severity: 'error',
    title: 'A secret is written in plaintext in the policy repository',
    message: '{where} holds a plaintext secret ({type})',
    hint: 'never commit secrets: seal it with `vigil secret seal` (age format, only agents can decrypt it) or reference it as `env:NAME` or `file:PATH`, resolved on the agent; then rotate the exposed secret',
  },
  VG9000: {
    slug: 'internal-error',
    severity: 'error',
    title: 'Vigil hit an internal error while processing this file',
    message: 'internal error: {detail}',
    hint: 'this is a bug in Vigil; please report it with the file that triggered it',
  },
} as const satisfies Record<string, CodeInfo>;

export const CODES: Readonly<Record<CodeId, CodeInfo>> = { ...CORE_CODES, ...SIGMA_CODES, ...LOWER_CODES, ...POLICY_CODES };

/** Every known diagnostic code. */
export type CodeId = keyof typeof CORE_CODES | keyof typeof SIGMA_CODES | keyof typeof LOWER_CODES | keyof typeof POLICY_CODES;
