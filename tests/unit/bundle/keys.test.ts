import { describe, expect, it } from 'vitest';
import { canonicalBytes, sha256Hex } from '../../../runtime/bundle/canonical.js';
import { generateSigningKey, KeyFormatError, parsePublicKey, parseSigningKey, signBytes, verifyBytes } from '../../../runtime/bundle/keys.js';

describe('signing keys', () => {
  it('round-trips through the key files and derives the TUF keyid', () => {
    const { key, privateText, publicText } = generateSigningKey();
    expect(parseSigningKey(privateText).keyid).toBe(key.keyid);
    expect(parsePublicKey(publicText)).toEqual({ keyid: key.keyid, publicHex: key.publicHex });
    expect(parsePublicKey(privateText)).toEqual({ keyid: key.keyid, publicHex: key.publicHex });
    expect(key.keyid).toBe(sha256Hex(canonicalBytes({ keytype: 'ed25519', scheme: 'ed25519', keyval: { public: key.publicHex } })));
  });

  it('signs deterministically and verifies only the signed bytes', () => {
    const { key } = generateSigningKey();
    const data = new TextEncoder().encode('bundle');
    const a = signBytes(key, data);
    expect(signBytes(key, data)).toEqual(a);
    expect(verifyBytes(key.publicHex, data, a)).toBe(true);
    expect(verifyBytes(key.publicHex, new TextEncoder().encode('bundlE'), a)).toBe(false);
    expect(verifyBytes('zz', data, a)).toBe(false);
  });

  it('rejects malformed key files without echoing their content', () => {
    const secretish = 'MC4CAQAwBQYDK2VwBCIEIQ-not-a-real-key';
    try {
      parseSigningKey(`-----BEGIN PRIVATE KEY-----\n${secretish}\n-----END PRIVATE KEY-----\n`);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(KeyFormatError);
      expect((error as Error).message).not.toContain(secretish);
    }
    const { publicText } = generateSigningKey();
    expect(() => parsePublicKey(publicText.replace(/"keyid":"[0-9a-f]/, '"keyid":"x'))).toThrow(KeyFormatError);
    expect(() => parsePublicKey('age1abc')).toThrow(KeyFormatError);
  });
});
