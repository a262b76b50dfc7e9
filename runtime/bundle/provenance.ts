/**
 * Provenance: an in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md)
 * per bundle, signed in a DSSE envelope (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md)
 * with Ed25519 over PAE(payloadType, payload). Verifiable offline with the targets keys of the trust root.
 */
import { canonicalBytes, parseJsonBytes } from './canonical.js';
import { signBytes, verifyBytes, type PublicKey, type SigningKey } from './keys.js';

/** The in-toto statement type. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** Vigil's provenance predicate type. */
export const PREDICATE_TYPE = 'https://vigil.dev/provenance/bundle/v1';
/** The DSSE payload type of in-toto statements. */
export const PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** Where a bundle came from: taken from git and the compiler, never from the clock. */
export interface ProvenanceInput {
  readonly commit: string;
  readonly tree: string;
  readonly author: string;
  /** Commit time, ISO 8601 UTC. */
  readonly commitTime: string;
  readonly compilerVersion: string;
  /** Every input file of the compile, with the SHA-256 of its bytes. */
  readonly inputs: readonly { readonly path: string; readonly sha256: string }[];
}

/** A DSSE envelope. */
export interface Envelope {
  readonly payloadType: string;
  /** Base64 of the payload bytes. */
  readonly payload: string;
  readonly signatures: readonly { readonly keyid: string; readonly sig: string }[];
}

/** The in-toto statement of one bundle. */
export function provenanceStatement(subject: { name: string; sha256: string }, p: ProvenanceInput, group: string, ring?: string): object {
  const inputs = [...p.inputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((i) => ({ path: i.path, digest: { sha256: i.sha256 } }));
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: subject.name, digest: { sha256: subject.sha256 } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      group,
      ...(ring === undefined ? {} : { ring }),
      source: { commit: p.commit, tree: p.tree, author: p.author, commitTime: p.commitTime },
      compiler: { name: 'vigil', version: p.compilerVersion },
      inputs,
    },
  };
}

/** DSSE's pre-authentication encoding: `DSSEv1 <len> <type> <len> <body>`. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), Buffer.from(payload)]);
}

/** Signs a payload into a DSSE envelope (signatures sorted by keyid). */
export function signEnvelope(payload: Uint8Array, payloadType: string, keys: readonly SigningKey[]): Envelope {
  const message = pae(payloadType, payload);
  const signatures = [...keys]
    .sort((a, b) => (a.keyid < b.keyid ? -1 : a.keyid > b.keyid ? 1 : 0))
    .map((k) => ({ keyid: k.keyid, sig: signBytes(k, message).toString('base64') }));
  return { payloadType, payload: Buffer.from(payload).toString('base64'), signatures };
}

/** The canonical file bytes of an envelope. */
export function envelopeBytes(envelope: Envelope): Uint8Array {
  return canonicalBytes(envelope);
}

/** The result of checking an envelope: the statement, or why it is refused. */
export type EnvelopeCheck = { readonly ok: true; readonly statement: Record<string, unknown> } | { readonly ok: false; readonly reason: string };

/** Verifies a DSSE envelope against trusted keys, then parses its payload (verify before parse). */
export function verifyEnvelope(bytes: Uint8Array, trusted: readonly PublicKey[], threshold = 1): EnvelopeCheck {
  let env: Partial<Envelope>;
  try {
    env = parseJsonBytes(bytes) as Partial<Envelope>;
  } catch {
    return { ok: false, reason: 'not a JSON DSSE envelope' };
  }
  if (typeof env.payload !== 'string' || typeof env.payloadType !== 'string' || !Array.isArray(env.signatures)) return { ok: false, reason: 'not a DSSE envelope' };
  if (env.payloadType !== PAYLOAD_TYPE) return { ok: false, reason: `payload type \`${env.payloadType}\` is not \`${PAYLOAD_TYPE}\`` };
  const payload = Buffer.from(env.payload, 'base64');
  const message = pae(env.payloadType, payload);
  const byId = new Map(trusted.map((k) => [k.keyid, k]));
  const valid = new Set<string>();
  for (const s of env.signatures) {
    const key = typeof s?.keyid === 'string' ? byId.get(s.keyid) : undefined;
    if (key && typeof s.sig === 'string' && verifyBytes(key.publicHex, message, Buffer.from(s.sig, 'base64'))) valid.add(key.keyid);
  }
  if (valid.size < threshold) return { ok: false, reason: `${valid.size} valid signature(s) by trusted keys, ${threshold} required` };
  try {
    return { ok: true, statement: JSON.parse(payload.toString('utf8')) as Record<string, unknown> };
  } catch {
    return { ok: false, reason: 'the signed payload is not JSON' };
  }
}

/** The subject digest an in-toto statement names for `name`, if any. */
export function subjectDigest(statement: Record<string, unknown>, name: string): string | undefined {
  if (statement._type !== STATEMENT_TYPE || !Array.isArray(statement.subject)) return undefined;
  const subject = (statement.subject as { name?: unknown; digest?: { sha256?: unknown } }[]).find((s) => s?.name === name);
  const digest = subject?.digest?.sha256;
  return typeof digest === 'string' ? digest : undefined;
}
