import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeliverer } from '../../../runtime/actions/action.js';
import { emailDeliverer, fillSubject } from '../../../runtime/actions/email.js';
import { TokenCache } from '../../../runtime/actions/oauth2.js';
import { json, localServer } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Mail {
  readonly from: string;
  readonly to: string[];
  readonly data: string;
  readonly user: string | undefined;
}

async function smtp(opts: { rejectRcpt?: boolean; password?: string; accessToken?: string; echo?: boolean } = {}) {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'],
    authOptional: opts.password === undefined && opts.accessToken === undefined,
    onAuth(auth, _session, cb) {
      if (auth.method === 'XOAUTH2') return auth.accessToken === opts.accessToken ? cb(null, { user: auth.username }) : cb(null, { data: { status: '401', schemes: 'bearer' } });
      // `echo`: a server that quotes what it was sent back in its refusal.
      return auth.password === opts.password ? cb(null, { user: auth.username }) : cb(new Error(opts.echo ? `authentication failed for ${auth.username} ${auth.password}` : 'Invalid username or password'));
    },
    onRcptTo(_addr, _session, cb) {
      if (opts.rejectRcpt) {
        const e = new Error('Mailbox unavailable') as Error & { responseCode: number };
        e.responseCode = 550;
        return cb(e);
      }
      cb();
    },
    onData(stream, session, cb) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data, user: session.user as string | undefined });
        cb();
      });
    },
    logger: false,
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { port, mails };
}

const spec = (port: number, extra: Record<string, unknown> = {}) => ({ smtpHost: '127.0.0.1', port, security: 'none' as const, from: 'vigil@msp.example', to: ['soc@msp.example'], subject: '[Vigil {{level}}] {{rule}} on {{host}}', ...extra });

describe('email action', () => {
  it('sends with password authentication and fills the subject', async () => {
    const s = await smtp({ password: 'mail-pw' });
    const deliver = emailDeliverer(spec(s.port, { auth: 'password' }), { credential: { name: 'smtp', type: 'smtp', secrets: { password: 'mail-pw' }, settings: { username: 'vigil' } }, tokens: new TokenCache() });
    await deliver({ rule: 'id-1', title: 'Whoami Execution', level: 'high', host: 'ws1' });
    expect(s.mails).toHaveLength(1);
    expect(s.mails[0]).toMatchObject({ from: 'vigil@msp.example', to: ['soc@msp.example'], user: 'vigil' });
    expect(s.mails[0]!.data).toContain('Subject: [Vigil high] Whoami Execution on ws1');
    expect(s.mails[0]!.data).toContain('"rule": "id-1"');
  });

  it('sends with XOAUTH2 using a client-credentials token', async () => {
    const tokens = await localServer((req, res) => json(res, 200, { access_token: new URLSearchParams(req.body).get('client_secret') === 'oauth-secret' ? 'mail-token' : 'bad', expires_in: 3600 }));
    cleanups.push(tokens.close);
    const s = await smtp({ accessToken: 'mail-token' });
    const deliver = emailDeliverer(spec(s.port, { auth: 'oauth2' }), { credential: { name: 'o', type: 'oauth2-client', secrets: { clientSecret: 'oauth-secret' }, settings: { tokenUrl: `${tokens.url}/token`, clientId: 'c', scopes: ['https://outlook.office365.com/.default'] } }, tokens: new TokenCache() });
    await deliver({ rule: 'r', level: 'critical', host: 'h' });
    expect(s.mails.map((m) => m.user)).toEqual(['vigil@msp.example']);
  });

  it('rejects when the server refuses the recipient or the password, so the outbox keeps the alert', async () => {
    const rejecting = await smtp({ rejectRcpt: true });
    await expect(emailDeliverer(spec(rejecting.port), { tokens: new TokenCache() })({ rule: 'r' })).rejects.toThrow(/550|Mailbox unavailable/);
    const auth = await smtp({ password: 'right' });
    const wrong = emailDeliverer(spec(auth.port, { auth: 'password' }), { credential: { name: 's', type: 'smtp', secrets: { password: 'wrong' }, settings: { username: 'u' } }, tokens: new TokenCache() });
    await expect(wrong({ rule: 'r' })).rejects.toThrow();
    expect(rejecting.mails).toEqual([]);
    expect(auth.mails).toEqual([]);
  });

  it('never passes on a password the server echoes back in its refusal', async () => {
    const echo = await smtp({ password: 'right', echo: true });
    const credentials = new Map([['mail', { name: 'mail', type: 'smtp' as const, secrets: { password: 'Mail-Pw-Secret-77' }, settings: { username: 'vigil' } }]]);
    const deliver = createDeliverer({ apiVersion: 'vigil/v1', kind: 'Action', metadata: { name: 'mail' }, spec: { type: 'email', email: { ...spec(echo.port), auth: 'password', credential: 'mail' } } }, { credentials, stdout: process.stdout });
    const error = await deliver({ rule: 'r' }).catch((e: Error) => e);
    expect((error as Error).message).toContain('authentication failed for vigil ***');
    expect((error as Error).message).not.toContain('Mail-Pw-Secret-77');
  });

  it('keeps alert text from injecting headers into the subject', () => {
    expect(fillSubject('{{rule}}!', { rule: 'x', title: 'a\r\nBcc: evil@example.com' })).toBe('a Bcc: evil@example.com!');
    expect(fillSubject('{{ level }} {{other}}', { rule: 'x', level: 'low' })).toBe('low {{other}}');
  });
});
