// Password reset by emailed code: random codes from an unambiguous alphabet, stored as keyed digests,
// valid for a limited time, single use, a bounded number of wrong tries, a new request voids the old code.
// Requests answer the same for known and unknown emails; completing one revokes every session.
import type { AccountRow } from '../store/store.js';
import type { Principal } from './auth.js';
import type { RequestContext } from './context.js';
import { randomCode } from './crypto.js';
import type { CoreDeps } from './deps.js';
import { CoreError, invalidInput } from './errors.js';
import { passwordProblem } from './passwords.js';
import type { IssuedSession, SessionKind } from './sessions.js';
import { emailKey, EMAIL_MAX } from './validate.js';
import type { Accounts } from './accounts.js';
import { randomHex } from './crypto.js';

/** No 0/O, 1/I/L: a code read from a phone screen is typed right. */
export const RESET_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const RESET_CODE_LENGTH = 12;

export interface ResetMailOptions {
  /** A link to the page that asks for the new password; the code is appended. */
  linkBase?: string | undefined;
  /** Only accounts this accepts get a mail (a dialect may serve only some accounts); the answer is the same. */
  eligible?: ((account: AccountRow) => Promise<boolean>) | undefined;
}

export class PasswordResets {
  constructor(
    private readonly d: CoreDeps,
    private readonly accounts: Accounts,
  ) {}

  private digests(code: string): string[] {
    return this.d.keyring.digests('reset-code', code.trim().toUpperCase());
  }

  /** Emails a code when the address has an open account; does nothing visible otherwise. */
  async request(email: string, ctx: RequestContext, options: ResetMailOptions = {}): Promise<void> {
    const { store, clock, config, keyring, audit, outbox, limits } = this.d;
    const key = emailKey(email);
    if (key.length === 0 || key.length > EMAIL_MAX) return;
    // Counted before the account is looked up, so known and unknown emails reach the limit alike.
    await limits.take(store, [
      ['reset-mail-address', ctx.ip],
      ['reset-mail-email', key],
    ]);
    const account = await store.accountByEmailKey(key);
    if (!account || account.closed_at !== null || account.disabled_at !== null || account.email === null) return;
    if (options.eligible && !(await options.eligible(account))) return;
    const code = randomCode(RESET_ALPHABET, RESET_CODE_LENGTH);
    const now = clock.now();
    const minutes = Math.round(config.resetCode.ttlSeconds / 60);
    const link = options.linkBase ? `${options.linkBase}${encodeURIComponent(code)}` : undefined;
    const text = [
      `Someone asked to reset the password of your account (${account.email}).`,
      '',
      `Your password reset code is: ${code}`,
      link ? `Or open this page to choose a new password: ${link}` : '',
      '',
      `The code works once and expires in ${minutes} minutes. If you did not ask for it, ignore this mail.`,
    ].join('\n');
    await store.transaction(async (tx) => {
      await tx.replaceResetCode({
        account_id: account.id,
        code_digest: keyring.digest('reset-code', code),
        created_at: now,
        expires_at: now + config.resetCode.ttlSeconds * 1000,
        tries: 0,
        used_at: null,
      });
      await outbox.enqueue(tx, { to: account.email as string, subject: 'Your password reset code', text });
      await audit.record(tx, 'password.reset.request', account.id, ctx);
    });
    void outbox.flush();
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
    const { store, clock, config, hasher, throttle, audit, keyring, cache } = this.d;
    const invalid = () => new CoreError('reset_code_invalid', 'Invalid or expired password reset code');
    if (code.length < 8 || code.length > 64) throw invalid();
    const row = await store.resetCodeByDigest(this.digests(code));
    const now = clock.now();
    if (!row || row.used_at !== null || row.expires_at <= now || row.tries >= config.resetCode.maxTries) throw invalid();
    const account = await store.accountById(row.account_id);
    if (!account || account.closed_at !== null) throw invalid();
    const problem = passwordProblem(password, account.email ?? undefined, config.password);
    if (problem) {
      await store.addResetCodeTry(row.id);
      throw invalidInput([{ field: 'password', message: problem }]);
    }
    const hash = await hasher.hash(password);
    const token = randomHex(16);
    const session = await store.transaction(async (tx) => {
      if (!(await tx.consumeResetCode(row.id, now))) throw invalid();
      await tx.updateAccount(account.id, {
        password_hash: hash,
        credentials_version: account.credentials_version + 1,
        api_token_enc: keyring.encrypt(token),
        api_token_digest: keyring.digest('api-token', token),
        updated_at: now,
        authorization_updated_at: now,
      });
      const revoked = await tx.revokeSessionsOf(account.id, now);
      await tx.deleteResetCodesOf(account.id);
      if (account.email_key !== null) await throttle.clear(tx, account.email_key);
      await audit.record(tx, 'password.reset.complete', account.id, ctx, { revoked });
      return kind === undefined ? undefined : this.accounts.openSession(account.id, kind, false, tx, ctx);
    });
    cache.forgetAccount(account.id);
    const updated = await store.accountById(account.id);
    if (!updated) throw invalid();
    return { principal: { account: updated, method: 'session' }, session };
  }
}
