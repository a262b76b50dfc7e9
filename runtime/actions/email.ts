/**
 * The email action, through nodemailer: SMTP with STARTTLS, implicit TLS or none (local relays),
 * authenticated with an `smtp` credential (password) or an `oauth2-client` credential (XOAUTH2
 * with a client-credentials token, as Exchange Online expects). The subject fills `{{rule}}`,
 * `{{host}}` and `{{level}}` by plain substitution, so alert text can never act as a template.
 */
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { ActionSpec } from '../../schema/generated/action.js';
import type { ResolvedCredential } from '../credentials.js';
import type { AlertRecord, Deliver } from './alert-record.js';
import { oauthClient } from './http.js';
import type { TokenCache } from './oauth2.js';

type EmailSpec = NonNullable<ActionSpec['email']>;

/** Fills `{{rule}}`, `{{host}}` and `{{level}}`; line breaks are removed so a header cannot be injected. */
export function fillSubject(template: string, alert: AlertRecord): string {
  const values: Record<string, string> = { rule: String(alert.title ?? alert.rule), host: String(alert.host ?? ''), level: String(alert.level ?? '') };
  return template.replace(/\{\{\s*(rule|host|level)\s*\}\}/g, (_, k: string) => values[k]!).replace(/[\r\n]+/g, ' ');
}

/** Extra transport settings (tests trust a local server's certificate). */
export interface EmailOptions {
  readonly tls?: { readonly rejectUnauthorized?: boolean; readonly ca?: string };
  readonly timeoutMs?: number;
}

/** Builds the deliverer of an `email` action. */
export function emailDeliverer(spec: EmailSpec, deps: { credential?: ResolvedCredential; tokens: TokenCache; options?: EmailOptions }): Deliver {
  const security = spec.security ?? 'starttls';
  const authKind = spec.auth ?? (deps.credential ? (deps.credential.type === 'oauth2-client' ? 'oauth2' : 'password') : 'none');
  if (authKind !== 'none' && !deps.credential) throw new Error(`email auth \`${authKind}\` needs a credential`);
  const timeout = deps.options?.timeoutMs ?? 30_000;
  const base = {
    host: spec.smtpHost,
    port: spec.port ?? (security === 'tls' ? 465 : 587),
    secure: security === 'tls',
    requireTLS: security === 'starttls',
    ignoreTLS: security === 'none',
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    ...(deps.options?.tls ? { tls: { ...deps.options.tls } } : {}),
  };
  return async (alert, signal) => {
    let auth: Record<string, string> | undefined;
    if (authKind === 'password') {
      const c = deps.credential!;
      auth = { user: String(c.settings.username ?? ''), pass: c.secrets.password ?? '' };
    } else if (authKind === 'oauth2') {
      // XOAUTH2 names the mailbox: the sender address.
      auth = { type: 'OAuth2', user: spec.from, accessToken: await deps.tokens.token(oauthClient(deps.credential!)) };
    }
    const transport = nodemailer.createTransport({ ...base, ...(auth ? { auth } : {}) } as SMTPTransport.Options);
    // nodemailer's timeouts count idle time only: a server that trickles an endless answer is
    // stopped by this deadline (or by the agent stopping), and the transport closed.
    let stop: () => void = () => undefined;
    const stopped = new Promise<never>((_, reject) => {
      const timer = setTimeout(() => reject(new Error(`the SMTP server did not finish within ${timeout} ms`)), timeout);
      const abort = () => reject(new Error('stopped'));
      if (signal?.aborted) abort();
      signal?.addEventListener('abort', abort, { once: true });
      stop = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
      };
    });
    stopped.catch(() => undefined);
    try {
      await Promise.race([
        transport.sendMail({
          from: spec.from,
          to: spec.to,
          subject: fillSubject(spec.subject ?? '[Vigil {{level}}] {{rule}} on {{host}}', alert),
          text: `${JSON.stringify(alert, null, 2)}\n`,
          headers: { 'X-Vigil-Rule': String(alert.rule).replace(/[\r\n]/g, '') },
        }),
        stopped,
      ]);
    } catch (error) {
      // A refused XOAUTH2 token may have been revoked early: the next try fetches a new one.
      if (authKind === 'oauth2' && (error as { code?: string }).code === 'EAUTH') deps.tokens.invalidate(oauthClient(deps.credential!));
      throw error;
    } finally {
      stop();
      transport.close();
    }
  };
}
