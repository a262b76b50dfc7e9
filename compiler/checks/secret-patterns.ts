/** A recognisable secret format. */
export interface SecretPattern {
  /** Shown in the diagnostic instead of the secret itself. */
  readonly type: string;
  readonly pattern: RegExp;
}

/**
 * Formats of keys and tokens that are secrets wherever they appear (the shapes that
 * secret scanners such as GitHub's look for). Each is specific enough that a Sigma rule's
 * detection strings do not match it by accident.
 */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  { type: 'AWS access key id', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/ },
  { type: 'GitHub token', pattern: /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/ },
  { type: 'GitHub fine-grained token', pattern: /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/ },
  { type: 'Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { type: 'Slack webhook URL', pattern: /hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]{16,}/ },
  { type: 'PEM private key', pattern: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/ },
  { type: 'JSON Web Token', pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/ },
  { type: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { type: 'Azure storage account key', pattern: /AccountKey=[A-Za-z0-9+/]{86}==/ },
  { type: 'Azure AD client secret', pattern: /(?:^|[^A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/ },
  { type: 'Stripe live key', pattern: /\b[rs]k_live_[0-9A-Za-z]{24,}\b/ },
];

// One cheap test first: most strings contain none of these fragments.
const PREFILTER = /AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|xox|hooks\.slack|PRIVATE KEY|eyJ|AIza|AccountKey=|Q~|_live_/;

/** The type of the first known secret format found in a string, if any. */
export function findSecretFormat(value: string): string | undefined {
  if (!PREFILTER.test(value)) return undefined;
  return SECRET_PATTERNS.find((p) => p.pattern.test(value))?.type;
}

/** Field names that hold a secret by name (`password: ...`), compared without case, `_` or `-`. */
const SECRET_FIELDS = new Set(['password', 'passwd', 'pwd', 'secret', 'clientsecret', 'apikey', 'apisecret', 'token', 'accesstoken', 'authtoken', 'refreshtoken', 'bearertoken', 'privatekey', 'secretkey', 'secretaccesskey', 'certificate', 'passphrase', 'sastoken', 'connectionstring']);

/** Parents under which a plain `key` field is key material (not a field path such as ThreatScore `key`). */
const KEY_PARENTS = new Set(['tls', 'logsigning', 'signing', 'ssh']);

/** Whether a field name (with its parent's name) says its value is a secret. */
export function isSecretField(name: string, parent?: string): boolean {
  const norm = name.toLowerCase().replace(/[_-]/g, '');
  if (norm === 'key') return parent !== undefined && KEY_PARENTS.has(parent.toLowerCase().replace(/[_-]/g, ''));
  return SECRET_FIELDS.has(norm);
}

/** Whether a secret field's value is a safe form: a reference resolved on the agent, or age ciphertext. */
export function isSafeSecretValue(value: string): boolean {
  return /^(env:[A-Za-z_][A-Za-z0-9_]*$|file:\S)/.test(value) || value.startsWith('-----BEGIN AGE ENCRYPTED FILE-----') || value.trim() === '';
}
