import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../../runtime/bundle/canonical.js';
import { generateSigningKey, signBytes } from '../../../runtime/bundle/keys.js';
import { envelopeBytes, inputManifest, inputManifestProblem, inputsReference, INPUTS_TYPE, pae, PAYLOAD_TYPE, PREDICATE_V1, provenanceStatement, signEnvelope, subjectDigest, verifyEnvelope } from '../../../runtime/bundle/provenance.js';
import { provenance } from './repo-fixture.js';

describe('DSSE provenance', () => {
  it('encodes PAE as the DSSE specification defines it', () => {
    expect(pae('http://example.com/HelloWorld', new TextEncoder().encode('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  const input = provenance(new Date('2026-01-01T00:00:00Z'));
  const manifest = inputManifest(input.inputs);
  const statement = provenanceStatement({ name: 'groups/g1/bundle.json', sha256: 'a'.repeat(64) }, input, 'g1', 'canary', { path: 'provenance/inputs.json', manifest });
  const { key } = generateSigningKey();
  let bytes: Uint8Array;
  beforeAll(async () => {
    bytes = envelopeBytes(await signEnvelope(canonicalBytes(statement), PAYLOAD_TYPE, [key]));
  });

  it('verifies offline with the trusted key and returns the statement', () => {
    const check = verifyEnvelope(bytes, [key]);
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(subjectDigest(check.statement, 'groups/g1/bundle.json')).toBe('a'.repeat(64));
    expect(check.statement).toMatchObject({ predicate: { group: 'g1', ring: 'canary', source: { commit: '1'.repeat(40) }, inputs: { name: 'provenance/inputs.json', digest: { sha256: manifest.sha256 }, annotations: { files: 1 } } } });
    expect(inputsReference(check.statement)).toEqual({ name: 'provenance/inputs.json', sha256: manifest.sha256 });
  });

  it('signs PAE(type, payload) with every key, signatures in keyid order', async () => {
    const other = generateSigningKey().key;
    const payload = canonicalBytes(statement);
    const envelope = await signEnvelope(payload, PAYLOAD_TYPE, [other, key]);
    const inOrder = [key, other].sort((a, b) => (a.keyid < b.keyid ? -1 : 1));
    // Ed25519 is deterministic: the pool's signatures are the ones made here inline.
    expect(envelope.signatures).toEqual(inOrder.map((k) => ({ keyid: k.keyid, sig: signBytes(k, pae(PAYLOAD_TYPE, payload)).toString('base64') })));
    expect(verifyEnvelope(envelopeBytes(envelope), [key, other], 2).ok).toBe(true);
  });

  it('refuses an unknown key and a changed payload', () => {
    expect(verifyEnvelope(bytes, [generateSigningKey().key]).ok).toBe(false);
    const env = JSON.parse(Buffer.from(bytes).toString()) as { payload: string };
    const tampered = { ...env, payload: Buffer.from(Buffer.from(env.payload, 'base64').toString().replace('g1', 'g2')).toString('base64') };
    expect(verifyEnvelope(canonicalBytes(tampered), [key]).ok).toBe(false);
    expect(verifyEnvelope(new TextEncoder().encode('nope'), [key]).ok).toBe(false);
  });

  it('writes an envelope exactly as the canonical serializer does', async () => {
    const envelope = await signEnvelope(canonicalBytes(statement), PAYLOAD_TYPE, [key, generateSigningKey().key]);
    expect(envelopeBytes(envelope)).toEqual(canonicalBytes(envelope));
    // A copy (not made by signEnvelope) and a changed payload take the serializer.
    expect(envelopeBytes({ ...envelope })).toEqual(canonicalBytes(envelope));
    const changed = { ...envelope, payload: Buffer.from('other').toString('base64') };
    expect(envelopeBytes(changed)).toEqual(canonicalBytes(changed));
  });

  it('lists every input once per build, sorted by path, in a manifest the statements name by digest', () => {
    const inputs = [{ path: 'z-last.yaml', sha256: 'c'.repeat(64) }, { path: 'a-first.yaml', sha256: 'd'.repeat(64) }, ...input.inputs];
    const m = inputManifest(inputs);
    const doc = JSON.parse(Buffer.from(m.bytes).toString()) as { _type: string; inputs: { path: string; digest: { sha256: string } }[] };
    expect(doc._type).toBe(INPUTS_TYPE);
    expect(doc.inputs.map((i) => i.path)).toEqual(['a-first.yaml', 'policies/a.yaml', 'z-last.yaml']);
    expect(doc.inputs[0]!.digest.sha256).toBe('d'.repeat(64));
    expect(m.count).toBe(3);
    expect(m.sha256).toBe(createHash('sha256').update(m.bytes).digest('hex'));
    expect(inputManifestProblem(m.bytes)).toBeUndefined();
    // The input order given does not matter: same bytes.
    expect(inputManifest([...inputs].reverse()).bytes).toEqual(m.bytes);
    // A statement stays small however many inputs the build has.
    const many = inputManifest(Array.from({ length: 5000 }, (_, i) => ({ path: `rules/r${i}.yml`, sha256: 'e'.repeat(64) })));
    expect(canonicalBytes(provenanceStatement({ name: 'n', sha256: 'a'.repeat(64) }, input, 'g1', undefined, { path: 'provenance/inputs.json', manifest: many })).length).toBeLessThan(1024);
  });

  it('refuses manifests and references of the wrong shape', () => {
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    expect(inputManifestProblem(enc({ _type: INPUTS_TYPE, inputs: [] }))).toBeUndefined();
    expect(inputManifestProblem(new TextEncoder().encode('{'))).toMatch(/not JSON/);
    expect(inputManifestProblem(enc({ _type: 'other', inputs: [] }))).toMatch(/is not a/);
    expect(inputManifestProblem(enc({ _type: INPUTS_TYPE, inputs: [{ path: 'a' }] }))).toMatch(/input 0/);
    expect(inputManifestProblem(enc({ _type: INPUTS_TYPE, inputs: [{ path: 'a', digest: { sha256: 'XYZ' } }] }))).toMatch(/input 0/);
    expect(inputManifestProblem(enc(null))).toMatch(/is not a/);
    // A first-version statement lists its inputs itself; anything else must name a manifest.
    expect(inputsReference({ predicateType: PREDICATE_V1, predicate: { inputs: [] } })).toBe('inline');
    expect(inputsReference({ predicateType: (statement as { predicateType: string }).predicateType, predicate: { inputs: [] } })).toHaveProperty('problem');
    expect(inputsReference({ predicateType: PREDICATE_V1, predicate: { inputs: { name: 'x', digest: { sha256: 'a' } } } })).toHaveProperty('problem');
    expect(inputsReference({})).toHaveProperty('problem');
  });

  it('is deterministic', async () => {
    expect(envelopeBytes(await signEnvelope(canonicalBytes(statement), PAYLOAD_TYPE, [key]))).toEqual(bytes);
  });
});
