import type { CodeInfo } from './code-info.js';

/** Diagnostics of lowering to per-group bundles and of building the signed repository (VG5xxx). */
export const LOWER_CODES = {
  VG5001: {
    slug: 'agent-too-old',
    severity: 'error',
    title: "A host group's bundle uses a feature that its oldest allowed agent version cannot run",
    message: 'host group `{group}` allows agents from version {version}, but its bundle uses {feature}, which needs agent {needs}',
    hint: 'raise `minAgentVersion` to {needs} once every agent of the group runs it, or remove the content that needs it from the group',
  },
  VG5002: {
    slug: 'self-test-failed',
    severity: 'error',
    title: "A package's rule test does not give the expected number of matches, so agents would refuse the bundle",
    message: 'test `{name}`: rule `{rule}` matched {count} time(s), expected {expected}',
    hint: 'agents replay these tests before activating a bundle and refuse it when one fails; fix the rule or the test',
  },
  VG5003: {
    slug: 'self-test-unknown-rule',
    severity: 'error',
    title: "A package's rule test names a rule that the package does not deploy",
    message: 'test `{name}` is about rule `{rule}`, which package `{package}` does not deploy',
    hint: 'test a rule the package selects, or add the rule to the package',
  },
  VG5004: {
    slug: 'events-file-unreadable',
    severity: 'error',
    title: "A rule test's `eventsFile` cannot be read as JSON Lines",
    message: 'events file `{path}` cannot be used: {detail}',
    hint: 'give a repository-relative path to a JSON Lines file (one JSON object per line) inside the policy directory',
  },
  VG5005: {
    slug: 'unsealed-credential',
    severity: 'error',
    title: 'A credential field that travels in a bundle is neither sealed nor a reference',
    message: 'credential `{name}`: `{field}` is not sealed (age) or a reference (`env:`, `file:`)',
    hint: 'bundles never carry plaintext secrets: seal it with `vigil secret seal` or reference it as `env:NAME` or `file:PATH`',
  },
  VG5010: {
    slug: 'unsafe-bundle-name',
    severity: 'error',
    title: 'A group, ring or target name cannot be used as a path in the signed repository',
    message: '{detail}',
    hint: 'names in the repository are letters, digits, `.`, `_` and `-`, at most 64 characters',
  },
  VG5011: {
    slug: 'invalid-bundle',
    severity: 'error',
    title: 'A compiled bundle does not have the shape agents accept (an internal inconsistency)',
    message: '{detail}',
    hint: 'this is a bug in Vigil; please report it with the repository that triggered it',
  },
  VG5012: {
    slug: 'bad-root-chain',
    severity: 'error',
    title: 'The trust root (--trust) or the root chain already in OUT cannot be used',
    message: '{detail}',
    hint: 'give the current root from `vigil trust init` or `vigil trust rotate`; roots already in OUT must form an unbroken chain',
  },
  VG5013: {
    slug: 'bad-previous-state',
    severity: 'error',
    title: 'The metadata already in OUT cannot be read, so version numbers cannot continue from it',
    message: '{detail}',
    hint: 'OUT must be a repository written by `vigil compile`; restore it from where it is published, or start a new OUT',
  },
  VG5014: {
    slug: 'duplicate-bundle',
    severity: 'error',
    title: 'Two bundles or targets would be published under the same name',
    message: '{detail}',
    hint: 'host group names must be unique',
  },
  VG5015: {
    slug: 'timestamp-key-needed',
    severity: 'error',
    title: 'Signing needs a key of the timestamp role that was not given',
    message: '{detail}',
    hint: 'add the timestamp key with another `--key`',
  },
  VG5016: {
    slug: 'signing-input-unreadable',
    severity: 'error',
    title: 'A signing key (--key) or the trust root (--trust) cannot be read',
    message: '{detail}',
    hint: 'give key files written by `vigil keygen` and a root written by `vigil trust init`',
  },
} as const satisfies Record<string, CodeInfo>;
