/**
 * Why an agent (or `vigil verify`) refuses a repository or bundle: one stable VR1xxx code per
 * attack class. Refusals are values shaped like diagnostics; their text lives only here.
 */

/** One entry of the refusal catalog. */
export interface RefusalInfo {
  readonly slug: string;
  readonly title: string;
  /** Message template with `{arg}` placeholders: lowercase start, no final period, names in backticks. */
  readonly message: string;
  readonly hint: string;
}

/** The refusal catalog. Codes never change meaning. */
export const REFUSALS = {
  VR1001: { slug: 'tampered', title: 'A file differs from what is signed', message: '`{file}` differs from what is signed: {detail}', hint: 'the file was altered after signing; republish it from CI' },
  VR1002: { slug: 'signature-missing', title: 'Metadata carries no signature', message: '`{file}` carries no signature', hint: 'sign it with `vigil sign OUT --key KEY`' },
  VR1003: { slug: 'unknown-key', title: 'Signed by a key the trust root does not know', message: '`{file}` is signed by key `{keyid}`, which the `{role}` role does not trust', hint: 'only keys listed in the pinned root count; a new key needs a root rotation' },
  VR1004: { slug: 'below-threshold', title: 'Fewer valid signatures than the role threshold', message: '`{file}` has {count} valid signature(s) of the {threshold} the `{role}` role requires', hint: 'another key holder must add a signature with `vigil sign OUT --key KEY`' },
  VR1005: { slug: 'duplicate-signature', title: 'One key signed more than once', message: '`{file}` lists key `{keyid}` more than once; a key counts once towards a threshold', hint: 'republish the metadata; duplicated signatures are a sign of tampering' },
  VR1006: { slug: 'rollback', title: 'An older version replaces a newer one', message: '`{file}` is older than what was already trusted: {detail}', hint: 'a repository never goes back in version; an attacker may be replaying old metadata' },
  VR1007: { slug: 'expired', title: 'Expired metadata (freeze attack)', message: '`{file}` expired: {detail}', hint: 'refresh it with `vigil sign OUT --key KEY --refresh-timestamp`, or recompile' },
  VR1008: { slug: 'wrong-group', title: 'A bundle meant for another host group', message: '`{file}` is the bundle of group `{actual}`, not of `{expected}`', hint: 'bundles cannot be swapped between groups; each is bound to its group by the signed metadata' },
  VR1009: { slug: 'digest-mismatch', title: 'Metadata points at another digest or version', message: '`{file}` does not match what `{by}` records for it: {detail}', hint: 'metadata files from different publishes were mixed; republish the repository' },
  VR1010: { slug: 'oversize', title: 'A download larger than the metadata allows (endless data)', message: '`{file}` is {actual} bytes, more than the {limit} allowed', hint: 'a file that outgrows its signed length is refused before it is read' },
  VR1011: { slug: 'unsafe-path', title: 'A name that could escape the repository', message: '`{file}` names `{name}`, which is not a safe relative name', hint: 'names may use letters, digits, `.`, `_` and `-`, separated by `/`, never `..`, `\\` or an absolute path' },
  VR1012: { slug: 'rotated-out-key', title: 'Signed by a key of a rotated-out root', message: '`{file}` is signed by key `{keyid}`, which root version {version} removed', hint: 'keys removed by a root rotation never count again' },
  VR1013: { slug: 'unsigned-file', title: 'A file no signature covers', message: '`{file}` is not covered by any signed metadata', hint: 'every file in a repository must be a signed target or metadata; remove it or recompile' },
  VR1014: { slug: 'missing-file', title: 'A signed file is missing', message: '`{file}` is listed in signed metadata but missing', hint: 'republish the whole repository' },
  VR1015: { slug: 'bad-trust-root', title: 'The pinned trust root is unusable', message: 'trust root `{file}` is unusable: {detail}', hint: 'pin the root.json written by `vigil trust init`' },
  VR1016: { slug: 'unsupported-bundle', title: 'A bundle this agent does not fully understand', message: '`{file}` cannot be loaded: {detail}', hint: 'a bundle is never half-loaded; upgrade the agent or compile for its IR version' },
  VR1017: { slug: 'bad-provenance', title: 'Provenance that does not verify', message: '`{file}` provenance is invalid: {detail}', hint: 'provenance must be a DSSE envelope signed by a targets key, whose subject is the bundle digest' },
  VR1018: { slug: 'refused', title: 'Refused by the TUF client', message: '`{file}` refused: {detail}', hint: 'see the TUF client workflow in docs/bundle-format.md' },
} as const satisfies Record<string, RefusalInfo>;

/** Every refusal code. */
export type RefusalCode = keyof typeof REFUSALS;

/** One reason a repository or bundle is refused: code, message, the file concerned and a hint. */
export interface Refusal {
  readonly code: RefusalCode;
  readonly severity: 'error';
  readonly message: string;
  /** OUT-relative path (or the path as given) of the file refused. */
  readonly file: string;
  readonly hint: string;
}

/** Builds a refusal from the catalog, filling `{arg}` placeholders (`file` is always available). */
export function refusal(code: RefusalCode, file: string, args: Readonly<Record<string, string | number>> = {}): Refusal {
  const info = REFUSALS[code];
  const all: Record<string, string | number> = { file, ...args };
  const message = info.message.replace(/\{([A-Za-z]+)\}/g, (whole, key: string) => (key in all ? String(all[key]) : whole));
  return { code, severity: 'error', message, file, hint: info.hint };
}

/** The one-line text of a refusal: `refused[VR1001]: message (hint: …)`. */
export function formatRefusal(r: Refusal): string {
  return `refused[${r.code}]: ${r.message}\n  = hint: ${r.hint}`;
}
