/**
 * Provenance: an in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md)
 * per bundle, signed in a DSSE envelope (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md)
 * with Ed25519 over PAE(payloadType, payload). Verifiable offline with the targets keys of the trust root.
 */
import { canonicalBytes, canonicalJson, freezeJson, parseJsonBytes } from './canonical.js';
import { signBytesAsync, verifyBytes, type PublicKey, type SigningKey } from './keys.js';

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

/** The last input list sorted, with a copy of what it was made from (every group of a build passes the same list). */
let lastInputs: { readonly given: ProvenanceInput['inputs']; readonly copy: readonly { path: string; sha256: string }[]; readonly list: readonly unknown[] } | undefined;

/**
 * The provenance `inputs` list: sorted by path, and frozen so its canonical text (most of a
 * statement: every input file's digest) is serialized once however many groups name it.
 */
function inputsOf(inputs: ProvenanceInput['inputs']): readonly unknown[] {
  const last = lastInputs;
  if (last && last.given === inputs && last.copy.length === inputs.length && last.copy.every((c, i) => c.path === inputs[i]!.path && c.sha256 === inputs[i]!.sha256)) return last.list;
  const copy = inputs.map((i) => ({ path: i.path, sha256: i.sha256 }));
  const list = freezeJson([...copy].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((i) => ({ path: i.path, digest: { sha256: i.sha256 } })));
  lastInputs = { given: inputs, copy, list };
  return list;
}

/** The in-toto statement of one bundle. */
export function provenanceStatement(subject: { name: string; sha256: string }, p: ProvenanceInput, group: string, ring?: string): object {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: subject.name, digest: { sha256: subject.sha256 } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      group,
      ...(ring === undefined ? {} : { ring }),
      source: { commit: p.commit, tree: p.tree, author: p.author, commitTime: p.commitTime },
      compiler: { name: 'vigil', version: p.compilerVersion },
      inputs: inputsOf(p.inputs),
    },
  };
}

/** DSSE's pre-authentication encoding: `DSSEv1 <len> <type> <len> <body>`. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const head = `DSSEv1 ${Buffer.byteLength(payloadType, 'utf8')} ${payloadType} ${payload.length} `;
  const headLength = Buffer.byteLength(head, 'utf8');
  // One allocation, every byte written: the head, then the payload copied once.
  const out = Buffer.allocUnsafe(headLength + payload.length);
  out.write(head, 0, 'utf8');
  out.set(payload, headLength);
  return out;
}

/** The payload bytes of envelopes signEnvelope made, so envelopeBytes need not re-encode their base64. */
const signedPayloads = new WeakMap<Envelope, { readonly payload: string }>();

/**
 * Signs a payload into a DSSE envelope (signatures sorted by keyid), on libuv's thread pool: a
 * build signs fifty statements of a few hundred kilobytes each, which then use every core
 * while this thread goes on building and encoding.
 */
export async function signEnvelope(payload: Uint8Array, payloadType: string, keys: readonly SigningKey[]): Promise<Envelope> {
  const message = pae(payloadType, payload);
  const pending = [...keys]
    .sort((a, b) => (a.keyid < b.keyid ? -1 : a.keyid > b.keyid ? 1 : 0))
    .map(async (k) => ({ keyid: k.keyid, sig: (await signBytesAsync(k, message)).toString('base64') }));
  // Encoded while the signatures are being made.
  const base64 = Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('base64');
  const envelope: Envelope = { payloadType, payload: base64, signatures: await Promise.all(pending) };
  signedPayloads.set(envelope, { payload: base64 });
  return envelope;
}

/**
 * The canonical file bytes of an envelope: `{"payload":"<base64>","payloadType":...,"signatures":[...]}`
 * (members in canonical order). Base64 needs no JSON escaping, so for an envelope signEnvelope
 * made (its payload unchanged) the payload is written as is instead of going through the
 * serializer; anything else takes canonicalBytes.
 */
export function envelopeBytes(envelope: Envelope): Uint8Array {
  const known = signedPayloads.get(envelope);
  if (known === undefined || known.payload !== envelope.payload || Object.keys(envelope).length !== 3) return canonicalBytes(envelope);
  const head = '{"payload":"';
  const tail = `",${canonicalJson({ payloadType: envelope.payloadType, signatures: envelope.signatures }).slice(1)}`;
  const tailLength = Buffer.byteLength(tail, 'utf8');
  const out = new Uint8Array(head.length + known.payload.length + tailLength);
  const view = Buffer.from(out.buffer, out.byteOffset, out.length);
  view.write(head, 0, 'latin1');
  view.write(known.payload, head.length, 'latin1');
  view.write(tail, head.length + known.payload.length, 'utf8');
  return out;
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
