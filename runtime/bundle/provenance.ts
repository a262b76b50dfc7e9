/**
 * Provenance: an in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md)
 * per bundle, signed in a DSSE envelope (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md)
 * with Ed25519 over PAE(payloadType, payload). Verifiable offline with the targets keys of the trust root.
 */
import { builtDigest, canonicalBytes, canonicalJson, parseJsonBytes } from './canonical.js';
import { signBytesAsync, verifyBytes, type PublicKey, type SigningKey } from './keys.js';

/** The in-toto statement type. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** Vigil's provenance predicate type. */
export const PREDICATE_TYPE = 'https://vigil.dev/provenance/bundle/v2';
/** The first predicate type, whose statements listed every input inline (still accepted by `vigil verify`). */
export const PREDICATE_V1 = 'https://vigil.dev/provenance/bundle/v1';
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

/** The `_type` of a build's input manifest. */
export const INPUTS_TYPE = 'https://vigil.dev/provenance/inputs/v1';

/** A build's input manifest as written to OUT, and how statements name it. */
export interface InputManifest {
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly count: number;
}

/**
 * The input manifest of a build: `{"_type", "inputs": [{path, digest: {sha256}}]}` sorted by
 * path, canonical JSON. Every statement of the build names it by digest instead of carrying the
 * list: a statement stays about 1 KB however many files the repository has, so an agent does not
 * download the digest of every rule of every group on each update, and a one-file change signs 50
 * small statements instead of 50 copies of the whole list (docs/bundle-format.md §5).
 */
export function inputManifest(inputs: ProvenanceInput['inputs']): InputManifest {
  const sorted = [...inputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const bytes = canonicalBytes({ _type: INPUTS_TYPE, inputs: sorted.map((i) => ({ path: i.path, digest: { sha256: i.sha256 } })) });
  return { bytes, sha256: builtDigest(bytes), count: sorted.length };
}

/** The in-toto statement of one bundle; `inputs` is the target path and digest of the build's input manifest. */
export function provenanceStatement(subject: { name: string; sha256: string }, p: Omit<ProvenanceInput, 'inputs'>, group: string, ring: string | undefined, inputs: { readonly path: string; readonly manifest: InputManifest }): object {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: subject.name, digest: { sha256: subject.sha256 } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      group,
      ...(ring === undefined ? {} : { ring }),
      source: { commit: p.commit, tree: p.tree, author: p.author, commitTime: p.commitTime },
      compiler: { name: 'vigil', version: p.compilerVersion },
      inputs: { name: inputs.path, digest: { sha256: inputs.manifest.sha256 }, annotations: { files: inputs.manifest.count } },
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

/** The input manifest a statement names: its target path and digest; `inline` for a v1 statement, which lists the inputs itself. */
export function inputsReference(statement: Record<string, unknown>): { readonly name: string; readonly sha256: string } | 'inline' | { readonly problem: string } {
  const inputs = (statement.predicate as { inputs?: unknown } | undefined)?.inputs;
  if (statement.predicateType === PREDICATE_V1 && Array.isArray(inputs)) return 'inline';
  const ref = inputs as { name?: unknown; digest?: { sha256?: unknown } } | undefined;
  if (statement.predicateType !== PREDICATE_TYPE || typeof ref?.name !== 'string' || typeof ref.digest?.sha256 !== 'string') return { problem: 'it does not name the input manifest of its build' };
  return { name: ref.name, sha256: ref.digest.sha256 };
}

/** Why bytes are not an input manifest, or undefined when they are one. */
export function inputManifestProblem(bytes: Uint8Array): string | undefined {
  let doc: { _type?: unknown; inputs?: unknown };
  try {
    doc = parseJsonBytes(bytes) as typeof doc;
  } catch {
    return 'the input manifest is not JSON';
  }
  if (doc?._type !== INPUTS_TYPE || !Array.isArray(doc.inputs)) return `the input manifest is not a \`${INPUTS_TYPE}\` document`;
  const bad = doc.inputs.findIndex((i: { path?: unknown; digest?: { sha256?: unknown } }) => typeof i?.path !== 'string' || typeof i.digest?.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(i.digest.sha256));
  return bad < 0 ? undefined : `input ${bad} of the manifest has no path and sha256 digest`;
}
