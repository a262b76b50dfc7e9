import { describe, expect, test } from 'vitest';
import { findSecretFormat, isSecretField } from '../../../../compiler/checks/secret-patterns.js';
import { codesOf, compileFiles, RULE } from '../fixture.js';

const CRED = (password: string) => `apiVersion: vigil/v1\nkind: Credential\nmetadata:\n  name: smtp\nspec:\n  type: smtp\n  smtp:\n    username: u\n    password: ${password}\n`;

describe('plaintext-secret (VG4006)', () => {
  test('reports a literal credential secret without repeating it, and no schema pattern error on top', async () => {
    const r = await compileFiles({ 'c.yaml': CRED('hunter2hunter2') });
    expect(codesOf(r)).toEqual(['VG4006 c.yaml']);
    expect(JSON.stringify(r.report.diagnostics)).not.toContain('hunter2');
  });

  test('accepts env:, file: references and age ciphertext', async () => {
    for (const ok of ['env:SMTP_PASSWORD', 'file:/etc/vigil/smtp', '"-----BEGIN AGE ENCRYPTED FILE-----\\nYWdl\\n-----END AGE ENCRYPTED FILE-----"']) {
      const r = await compileFiles({ 'c.yaml': CRED(ok) });
      expect(codesOf(r), ok).toEqual([]);
    }
  });

  test('recognises known token formats anywhere, including in Sigma rules', async () => {
    const rule = RULE('11111111-1111-4111-8111-111111111111').replace('title: T', 'title: T\ndescription: "uses AKIAIOSFODNN7EXAMPLE"');
    const r = await compileFiles({ 'r.yml': rule });
    expect(codesOf(r)).toEqual(['VG4006 r.yml']);
    expect(r.report.diagnostics[0]!.message).toBe('`description` holds a plaintext secret (AWS access key id)');
  });

  test('formats and field names', () => {
    expect(findSecretFormat('-----BEGIN RSA PRIVATE KEY-----\nMII')).toBe('PEM private key');
    expect(findSecretFormat('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U')).toBe('JSON Web Token');
    expect(findSecretFormat('AIzaSyA1234567890abcdefghijklmnopqrstuv')).toBe('Google API key');
    expect(findSecretFormat('whoami.exe /all')).toBeUndefined();
    expect(findSecretFormat('-----BEGIN AGE ENCRYPTED FILE-----')).toBeUndefined();
    expect(isSecretField('clientSecret')).toBe(true);
    expect(isSecretField('key')).toBe(false); // ThreatScore `key` is a field path
    expect(isSecretField('key', 'tls')).toBe(true);
  });
});
