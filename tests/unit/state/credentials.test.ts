import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateAgentKey, openSecret, sealSecret } from '../../../runtime/bundle/seal.js';
import { CredentialError, resolveCredential, resolveSecret } from '../../../runtime/credentials.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-cred-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveSecret', () => {
  it('resolves env: and file: references (a trailing newline is not part of the secret)', async () => {
    expect(await resolveSecret('env:HEC_TOKEN', { env: { HEC_TOKEN: 's3cret-env' } })).toBe('s3cret-env');
    const file = path.join(dir, 'token');
    writeFileSync(file, 's3cret-file\n');
    expect(await resolveSecret(`file:${file}`)).toBe('s3cret-file');
  });

  it('opens sealed values with the function the agent passes in', async () => {
    const key = await generateAgentKey();
    const sealed = await sealSecret('s3cret-sealed', [key.recipient]);
    const open = async (s: string) => new TextDecoder().decode(await openSecret(s, key.identity));
    expect(await resolveSecret(sealed, { open })).toBe('s3cret-sealed');
    await expect(resolveSecret(sealed)).rejects.toThrow(CredentialError);
  });

  it('refuses plaintext and names what is missing without echoing any value', async () => {
    await expect(resolveSecret('hunter2')).rejects.toThrow(/env:NAME/);
    await expect(resolveSecret('env:NOPE', { env: {} })).rejects.toThrow('`NOPE` is not set');
    const error = await resolveSecret(`file:${path.join(dir, 'missing')}`).catch((e: Error) => e);
    expect(error).toBeInstanceOf(CredentialError);
    expect((error as Error).message).toMatch(/ENOENT/);
  });
});

describe('resolveCredential', () => {
  it('resolves the secret fields of the type sub-object and keeps the settings', async () => {
    const resolved = await resolveCredential(
      { apiVersion: 'vigil/v1', kind: 'Credential', metadata: { name: 'mail' }, spec: { type: 'oauth2-client', oauth2Client: { tokenUrl: 'http://127.0.0.1/t', clientId: 'c', clientSecret: 'env:S', scopes: ['a'] } } },
      { env: { S: 'x-secret' } },
    );
    expect(resolved).toEqual({ name: 'mail', type: 'oauth2-client', secrets: { clientSecret: 'x-secret' }, settings: { tokenUrl: 'http://127.0.0.1/t', clientId: 'c', scopes: ['a'] } });
  });

  it('names the credential and field when a secret cannot be resolved', async () => {
    const cred = { apiVersion: 'vigil/v1' as const, kind: 'Credential' as const, metadata: { name: 'hec' }, spec: { type: 'hec-token' as const, hecToken: { token: 'env:MISSING_TOKEN' } } };
    await expect(resolveCredential(cred, { env: {} })).rejects.toThrow('credential `hec` field `token`');
  });
});
