import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../../../compiler/index.js';
import { lowerCredentials } from '../../../../compiler/lower/documents.js';
import { DiagnosticList } from '../../../../compiler/reporter.js';

/**
 * VG5005 is the bundle's own safety net behind VG4006: whatever the checks said, a credential
 * whose secret is neither age ciphertext nor an env:/file: reference never enters a bundle.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-cred-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const credential = (name: string, secret: string) => `apiVersion: vigil/v1
kind: Credential
metadata:
  name: ${name}
spec:
  type: azure-ad-app
  azureAdApp:
    tenantId: 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f
    clientId: 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
    clientSecret: ${secret}
`;

describe('lowerCredentials', () => {
  it('reports a plaintext secret with its field and leaves the credential out; references pass', async () => {
    mkdirSync(path.join(dir, 'credentials'), { recursive: true });
    writeFileSync(path.join(dir, 'credentials/plain.yaml'), credential('plain', 'Xy9-secret-value-that-is-plain'));
    writeFileSync(path.join(dir, 'credentials/ref.yaml'), credential('ref', 'env:TENANT_SECRET'));
    const result = await compile({ dir }, { until: 'resolve' });
    expect(result.model).toBeDefined();
    const reporter = new DiagnosticList();
    const lowered = lowerCredentials(result.model!, ['plain', 'ref'], reporter);
    expect(Object.keys(lowered.credentials)).toEqual(['ref']);
    expect(reporter.items.map((d) => [d.code, d.span.file])).toEqual([['VG5005', 'credentials/plain.yaml']]);
    expect(reporter.items[0]!.message).toContain('azureAdApp.clientSecret');
    expect(JSON.stringify(reporter.items)).not.toContain('Xy9-secret-value-that-is-plain');
  });
});
