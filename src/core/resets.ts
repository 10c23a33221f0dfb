// Password reset by emailed code: random codes from an unambiguous alphabet, stored as keyed digests,
// valid for a limited time, single use, a bounded number of wrong tries, a new request voids the old code.
// Requests answer the same for known and unknown emails; completing one revokes every session.
import type { AccountRow, Store } from '../store/store.js';
import type { MailMessage } from './outbox.js';
import type { Principal } from './auth.js';
import type { RequestContext } from './context.js';
import { randomCode } from './crypto.js';
import type { CoreDeps } from './deps.js';
import { CoreError, invalidInput } from './errors.js';
import { passwordProblem } from './passwords.js';
import type { IssuedSession, SessionKind } from './sessions.js';
import { emailKey, EMAIL_MAX } from './validate.js';
import type { Accounts } from './accounts.js';
import { isUsable } from './lifecycle.js';
import { securityNotice } from './notices.js';

/** No 0/O, 1/I/L: a code read from a phone screen is typed right. */
export const RESET_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const RESET_CODE_LENGTH = 12;

/**
 * Who may get a reset mail from a request, decided by the worker: a dialect that serves only some accounts
 * registers a named audience (BookingBug: administrators or members reachable through an application), and
 * the request names it with plain data (stored in the outbox job).
 */
export type AudienceCheck = (account: AccountRow, data: Record<string, unknown>) => Promise<boolean>;

export interface ResetMailOptions {
  /** A link to the page that asks for the new password; the code is appended. */
  linkBase?: string | undefined;
  /** Only accounts the named audience accepts get a mail; the answer is the same. */
  audience?: { name: string; data: Record<string, unknown> } | undefined;
}

const JOB = 'password-reset';

export class PasswordResets {
  private readonly audiences = new Map<string, AudienceCheck>();

  constructor(
    private readonly d: CoreDeps,
    private readonly accounts: Accounts,
  ) {
    d.outbox.registerJob(JOB, (data, keep) => this.decide(data, keep));
  }

  private digests(code: string): string[] {
    return this.d.keyring.digests('reset-code', code.trim().toUpperCase());
  }

  /** Registers who an audience named in a request may be (checked by the worker). */
  registerAudience(name: string, check: AudienceCheck): void {
    this.audiences.set(name, check);
  }

  /**
   * Asks for a reset mail. Known and unknown emails take the same path and the same time (security.md):
   * the request counts the limits and queues one outbox job; the worker looks the email up and decides
   * whether a code is made and mailed (an open, usable account of the audience) or nothing happens.
   */
  async request(email: string, ctx: RequestContext, options: ResetMailOptions = {}): Promise<void> {
    const { store, outbox, limits } = this.d;
    const key = emailKey(email);
    if (key.length === 0 || key.length > EMAIL_MAX) return;
    // Counted before anything is looked up, so known and unknown emails reach the limit alike.
    await limits.take(store, [
      ['reset-mail-address', ctx.ip],
      ['reset-mail-email', key],
    ]);
    if (options.audience && !this.audiences.has(options.audience.name)) throw new Error(`unknown reset audience ${options.audience.name}`);
    const data: Record<string, unknown> = { emailKey: key, linkBase: options.linkBase ?? null, audience: options.audience ?? null, ip: ctx.ip, userAgent: ctx.userAgent ?? null };
    await store.transaction((tx) => outbox.enqueueJob(tx, JOB, data));
    outbox.kick();
  }

  /** The worker's half of a request: a code and its mail for a usable account of the audience, else nothing. */
  private async decide(data: Record<string, unknown>, keep: (tx: Store, mail: MailMessage) => Promise<void>): Promise<MailMessage | undefined> {
    const { store, clock, config, keyring, audit } = this.d;
    const key = typeof data.emailKey === 'string' ? data.emailKey : '';
    const account = await store.accountByEmailKey(key);
    if (!isUsable(account) || account.email === null) return undefined;
    const audience = data.audience as { name?: unknown; data?: unknown } | null;
    if (audience) {
      const check = typeof audience.name === 'string' ? this.audiences.get(audience.name) : undefined;
      if (!check || !(await check(account, (audience.data ?? {}) as Record<string, unknown>))) return undefined;
    }
    const code = randomCode(RESET_ALPHABET, RESET_CODE_LENGTH);
    const now = clock.now();
    const minutes = Math.round(config.resetCode.ttlSeconds / 60);
    const linkBase = typeof data.linkBase === 'string' ? data.linkBase : undefined;
    const link = linkBase ? `${linkBase}${encodeURIComponent(code)}` : undefined;
    const text = [
      `Someone asked to reset the password of your account (${account.email}).`,
      '',
      `Your password reset code is: ${code}`,
      link ? `Or open this page to choose a new password: ${link}` : '',
      '',
      `The code works once and expires in ${minutes} minutes. If you did not ask for it, ignore this mail.`,
    ].join('\n');
    const mail: MailMessage = { to: account.email, subject: 'Your password reset code', text };
    const ctx: RequestContext = { ip: typeof data.ip === 'string' ? data.ip : '', userAgent: typeof data.userAgent === 'string' ? data.userAgent : undefined };
    await store.transaction(async (tx) => {
      await tx.replaceResetCode({
        account_id: account.id,
        code_digest: keyring.digest('reset-code', code),
        created_at: now,
        expires_at: now + config.resetCode.ttlSeconds * 1000,
        tries: 0,
        used_at: null,
      });
      await audit.record(tx, 'password.reset.request', account.id, ctx);
      await keep(tx, mail);
    });
    return mail;
  }

  /**
   * Sets a new password with a code. Every session and the API token of the account die, the code is used
   * up, the login throttle is cleared, and a fresh session of `kind` is opened, all in one transaction.
   */
  async complete(code: string, password: string, kind: SessionKind, ctx: RequestContext): Promise<{ principal: Principal; session: IssuedSession }> {
    const { principal, session } = await this.finish(code, password, kind, ctx);
    if (!session) throw new Error('reset opened no session');
    return { principal, session };
  }

  /** The same as complete, without opening a session: the caller logs in again with the new password. */
  async completeWithoutSession(code: string, password: string, ctx: RequestContext): Promise<Principal> {
    return (await this.finish(code, password, undefined, ctx)).principal;
  }

  private async finish(
    code: string,
    password: string,
    kind: SessionKind | undefined,
    ctx: RequestContext,
  ): Promise<{ principal: Principal; session: IssuedSession | undefined }> {
    const { store, clock, config, hasher, throttle, audit, outbox } = this.d;
    const invalid = () => new CoreError('reset_code_invalid', 'Invalid or expired password reset code');
    if (code.length < 8 || code.length > 64) throw invalid();
    const row = await store.resetCodeByDigest(this.digests(code));
    const now = clock.now();
    if (!row || row.used_at !== null || row.expires_at <= now || row.tries >= config.resetCode.maxTries) throw invalid();
    const account = await store.accountById(row.account_id);
    // A code issued before a disable (or closure) is dead: such an account accepts none.
    if (!isUsable(account)) throw invalid();
    const problem = passwordProblem(password, account.email ?? undefined, config.password);
    if (problem) {
      await store.addResetCodeTry(row.id);
      throw invalidInput([{ field: 'password', message: problem }]);
    }
    const hash = await hasher.hash(password);
    // security.md: a reset kills every session and Auth-Token and the open codes; the API token survives
    // (an integration credential, rotated on its own; the notice tells the owner how to reset it).
    const { result: session } = await this.accounts.lifecycle.killCredentials(
      account.id,
      { sessions: 'all', authTokens: 'all', resetCodes: true, apiToken: 'keep', verifiedCredentials: true },
      {
        before: async (tx, now) => {
          if (!(await tx.consumeResetCode(row.id, now))) throw invalid();
          await tx.updateAccount(account.id, { password_hash: hash, credentials_version: account.credentials_version + 1, updated_at: now, authorization_updated_at: now });
        },
        after: async (tx, now, killed) => {
          if (account.email_key !== null) await throttle.clear(tx, account.email_key);
          await audit.record(tx, 'password.reset.complete', account.id, ctx, { revoked: killed.revoked });
          if (account.email !== null) await outbox.enqueue(tx, securityNotice({ event: 'password.reset', to: account.email, at: now, ctx, publicUrl: config.publicUrl }));
          return kind === undefined ? undefined : this.accounts.openSession(account.id, kind, false, tx, ctx);
        },
      },
    );
    void outbox.flush();
    const updated = await store.accountById(account.id);
    if (!updated) throw invalid();
    return { principal: { account: updated, method: 'session' }, session };
  }
}
