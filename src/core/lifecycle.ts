// The account lifecycle rules in one place (security.md, "Sessions and tokens"):
//   - `isUsable`: whether an account may do anything at all (not closed, not disabled). Every check of
//     a login, a session, a token, a reset code or a mail to the account asks this one predicate.
//   - `Lifecycle.killCredentials`: the one routine that kills an account's credentials, with named options
//     for what dies. Password change, password reset, closure, an operator's disable and revoke, and an API
//     token reset all go through it, and it alone forgets the verified-credential cache.
import type { AccountRow, Store } from '../store/store.js';
import { randomHex } from './crypto.js';
import type { CoreDeps } from './deps.js';
import type { SessionKind } from './sessions.js';

/** True when the account exists and is neither closed nor disabled: it may log in, hold tokens and get mail. */
export function isUsable(account: AccountRow | undefined | null): account is AccountRow {
  return account !== undefined && account !== null && account.closed_at === null && account.disabled_at === null;
}

/** True when the account exists and is not closed (an operator may still disable, enable or revoke it). */
export function isOpen(account: AccountRow | undefined | null): account is AccountRow {
  return account !== undefined && account !== null && account.closed_at === null;
}

/** Which of an account's sessions (or Auth-Tokens) die: every one, every one but the caller's, or none. */
export type SessionScope = 'all' | 'all-but-caller' | 'none';

export interface KillOptions {
  /** Toggl sessions: the accounts cookie and the v8 API session. */
  sessions: SessionScope;
  /** BookingBug Auth-Tokens. */
  authTokens: SessionScope;
  /** The session that made the request, kept by 'all-but-caller'. */
  callerSessionId?: number | undefined;
  /** Open password reset codes. */
  resetCodes: boolean;
  /** The Toggl API token: kept, replaced by a new one (returned), or erased. */
  apiToken: 'keep' | 'replace' | 'erase';
  /** Forget verified email:password pairs of the account (password changed, or the account can no longer log in). */
  verifiedCredentials: boolean;
}

export interface Killed {
  /** Sessions and Auth-Tokens revoked. */
  revoked: number;
  /** The new API token, when `apiToken` was 'replace'. */
  apiToken?: string | undefined;
}

/** What a path writes besides the kill, in the same transaction: `before` it, and `after` it (e.g. a new session). */
export interface KillSteps<T> {
  before?: ((tx: Store, now: number) => Promise<void>) | undefined;
  after?: ((tx: Store, now: number, killed: Killed) => Promise<T>) | undefined;
}

const TOGGL_KINDS: readonly SessionKind[] = ['accounts', 'api'];
const AUTH_TOKEN_KINDS: readonly SessionKind[] = ['bb-admin', 'bb-member'];

export class Lifecycle {
  constructor(private readonly d: CoreDeps) {}

  /** A new API token: 32 lowercase hex characters, stored encrypted and looked up by keyed digest. */
  newApiToken(): { token: string; enc: string; digest: string } {
    const token = randomHex(16);
    return { token, enc: this.d.keyring.encrypt(token), digest: this.d.keyring.digest('api-token', token) };
  }

  /**
   * Kills the credentials of an account as `options` say, in one transaction with the path's own writes
   * (`steps.before`, then the kill, then `steps.after`). The verified-credential cache is forgotten only
   * after the commit, so no other request can re-learn a pair from the state before it.
   */
  async killCredentials<T = undefined>(accountId: number, options: KillOptions, steps: KillSteps<T> = {}): Promise<{ killed: Killed; result: T | undefined }> {
    const { store, clock } = this.d;
    const now = clock.now();
    const out = await store.transaction(async (tx) => {
      if (steps.before) await steps.before(tx, now);
      const killed: Killed = { revoked: 0 };
      const keep = options.callerSessionId;
      for (const [scope, kinds] of [
        [options.sessions, TOGGL_KINDS],
        [options.authTokens, AUTH_TOKEN_KINDS],
      ] as const) {
        if (scope === 'none') continue;
        killed.revoked += await tx.revokeSessionsOf(accountId, now, scope === 'all-but-caller' ? keep : undefined, kinds);
      }
      if (options.resetCodes) await tx.deleteResetCodesOf(accountId);
      if (options.apiToken === 'replace') {
        const t = this.newApiToken();
        await tx.updateAccount(accountId, { api_token_enc: t.enc, api_token_digest: t.digest, updated_at: now });
        killed.apiToken = t.token;
      } else if (options.apiToken === 'erase') {
        await tx.updateAccount(accountId, { api_token_enc: null, api_token_digest: null, updated_at: now });
      }
      const result = steps.after ? await steps.after(tx, now, killed) : undefined;
      return { killed, result };
    });
    // The only call of the verified-credential cache's invalidation (a cross-instance cache hooks in here).
    if (options.verifiedCredentials) this.d.cache.forgetAccount(accountId);
    return out;
  }
}
