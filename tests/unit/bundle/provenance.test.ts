import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../../runtime/bundle/canonical.js';
import { generateSigningKey, signBytes } from '../../../runtime/bundle/keys.js';
import { envelopeBytes, pae, PAYLOAD_TYPE, provenanceStatement, signEnvelope, subjectDigest, verifyEnvelope } from '../../../runtime/bundle/provenance.js';
import { provenance } from './repo-fixture.js';

describe('DSSE provenance', () => {
  it('encodes PAE as the DSSE specification defines it', () => {
    expect(pae('http://example.com/HelloWorld', new TextEncoder().encode('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  const statement = provenanceStatement({ name: 'groups/g1/bundle.json', sha256: 'a'.repeat(64) }, provenance(new Date('2026-01-01T00:00:00Z')), 'g1', 'canary');
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
    expect(check.statement).toMatchObject({ predicate: { group: 'g1', ring: 'canary', source: { commit: '1'.repeat(40) }, inputs: [{ path: 'policies/a.yaml' }] } });
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

  it('writes an envelope exactly as the canonical serializer does, and the same statement once per group list', async () => {
    const envelope = await signEnvelope(canonicalBytes(statement), PAYLOAD_TYPE, [key, generateSigningKey().key]);
    expect(envelopeBytes(envelope)).toEqual(canonicalBytes(envelope));
    // A copy (not made by signEnvelope) and a changed payload take the serializer.
    expect(envelopeBytes({ ...envelope })).toEqual(canonicalBytes(envelope));
    const changed = { ...envelope, payload: Buffer.from('other').toString('base64') };
    expect(envelopeBytes(changed)).toEqual(canonicalBytes(changed));
    const input = provenance(new Date('2026-01-01T00:00:00Z'));
    const a = provenanceStatement({ name: 'groups/g1/bundle.json', sha256: 'a'.repeat(64) }, input, 'g1') as { predicate: { inputs: unknown } };
    const b = provenanceStatement({ name: 'groups/g2/bundle.json', sha256: 'b'.repeat(64) }, input, 'g2') as { predicate: { inputs: unknown } };
    expect(b.predicate.inputs).toBe(a.predicate.inputs);
    // A list changed in place is sorted again.
    const inputs = [...input.inputs, { path: 'a-first.yaml', sha256: 'c'.repeat(64) }];
    const before = provenanceStatement({ name: 'n', sha256: 'a'.repeat(64) }, { ...input, inputs }, 'g1') as { predicate: { inputs: { path: string }[] } };
    inputs[inputs.length - 1] = { path: 'z-last.yaml', sha256: 'c'.repeat(64) };
    const after = provenanceStatement({ name: 'n', sha256: 'a'.repeat(64) }, { ...input, inputs }, 'g1') as { predicate: { inputs: { path: string }[] } };
    expect(before.predicate.inputs[0]!.path).toBe('a-first.yaml');
    expect(after.predicate.inputs.at(-1)!.path).toBe('z-last.yaml');
  });

  it('is deterministic', async () => {
    expect(envelopeBytes(await signEnvelope(canonicalBytes(statement), PAYLOAD_TYPE, [key]))).toEqual(bytes);
  });
});
