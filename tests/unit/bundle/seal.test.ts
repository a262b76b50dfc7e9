import { describe, expect, it } from 'vitest';
import { generateAgentKey, openSecret, parseIdentity, parseRecipient, SealError, sealSecret } from '../../../runtime/bundle/seal.js';

describe('age sealing', () => {
  it('seals to several recipients; each opens it, others cannot, and errors never hold the secret', async () => {
    const [a, b, c] = [await generateAgentKey(), await generateAgentKey(), await generateAgentKey()];
    const sealed = await sealSecret('s3cr3t-value', [a.recipient, b.recipient]);
    expect(sealed).not.toContain('s3cr3t-value');
    expect(Buffer.from(await openSecret(sealed, a.identity)).toString()).toBe('s3cr3t-value');
    expect(Buffer.from(await openSecret(sealed, parseIdentity(b.privateText))).toString()).toBe('s3cr3t-value');
    await expect(openSecret(sealed, c.identity)).rejects.toThrow(SealError);
    await expect(openSecret(sealed, c.identity)).rejects.not.toThrow(/s3cr3t/);
  });

  it('rejects bad recipients and identities', async () => {
    await expect(sealSecret('x', [])).rejects.toThrow(SealError);
    await expect(sealSecret('x', ['age1nope'])).rejects.toThrow(SealError);
    expect(() => parseRecipient('ssh-ed25519 AAAA')).toThrow(SealError);
    expect(() => parseIdentity('# only a comment\n')).toThrow(SealError);
    expect(parseRecipient((await generateAgentKey()).publicText)).toMatch(/^age1/);
  });
});
