// Accounts: sign-up (with its default workspace, in one transaction), profile changes, password change,
// API token reset, sessions opened and ended for an account, and closure with a tombstone.
import type { AccountPatch, Store } from '../store/store.js';
import { UniqueViolation } from '../store/store.js';
import { ApiSessionReuse } from './api-sessions.js';
import type { Principal } from './auth.js';
import type { RequestContext } from './context.js';
import { randomToken } from './crypto.js';
import { profileOf, workspaceOf, type CoreDeps, type UserProfile, type WorkspaceView } from './deps.js';
import { CoreError, invalidInput, type FieldProblem } from './errors.js';
import { isOpen, Lifecycle, type KillOptions } from './lifecycle.js';
import { securityNotice, type NoticeEvent } from './notices.js';
import type { MailMessage } from './outbox.js';
import { passwordProblem } from './passwords.js';
import type { IssuedSession, SessionKind } from './sessions.js';
import { emailKey, MESSAGES, validBeginningOfWeek, validEmail, validFullname, validTimezone } from './validate.js';

export interface SignupInput {
  email: string;
  password: string;
  fullname?: string | undefined;
  timezone?: string | undefined;
  beginningOfWeek?: number | undefined;
}

export interface ProfilePatch {
  fullname?: string | undefined;
  email?: string | undefined;
  timezone?: string | undefined;
  beginningOfWeek?: number | undefined;
  defaultWorkspaceId?: number | undefined;
  countryId?: number | null | undefined;
  currentPassword?: string | undefined;
  password?: string | undefined;
}

export class Accounts {
  /** The lifecycle rules (the kill routine); shared with password resets. */
  readonly lifecycle: Lifecycle;
  private readonly apiSessions: ApiSessionReuse;

  constructor(private readonly d: CoreDeps) {
    this.lifecycle = new Lifecycle(d);
    this.apiSessions = new ApiSessionReuse(d);
  }

  profile(principal: Principal): UserProfile {
    return profileOf(this.d.keyring, principal.account);
  }

  async workspaces(accountId: number, changedAfter = 0): Promise<WorkspaceView[]> {
    return (await this.d.store.workspacesOwnedBy(accountId, changedAfter)).map(workspaceOf);
  }


  /** Signs up; with `store` (a transaction), the new account joins the caller's transaction. */
  async signup(input: SignupInput, ctx: RequestContext, store: Store = this.d.store): Promise<Principal> {
    const { config, hasher, clock, audit } = this.d;
    const problems: FieldProblem[] = [];
    if (!validEmail(input.email)) problems.push({ field: 'email', message: MESSAGES.email });
    const pw = passwordProblem(input.password, input.email, config.password);
    if (pw) problems.push({ field: 'password', message: pw });
    const fullname = input.fullname?.trim() || input.email.trim().split('@')[0] || 'User';
    if (input.fullname !== undefined && !validFullname(input.fullname)) problems.push({ field: 'fullname', message: MESSAGES.fullname });
    const timezone = input.timezone ?? 'UTC';
    if (!validTimezone(timezone)) problems.push({ field: 'timezone', message: MESSAGES.timezone });
    const beginningOfWeek = input.beginningOfWeek ?? 1;
    if (!validBeginningOfWeek(beginningOfWeek)) problems.push({ field: 'beginning_of_week', message: MESSAGES.beginningOfWeek });
    if (problems.length > 0) throw invalidInput(problems);

    if (ctx.operator !== true) await this.d.limits.take(store, [['signup-address', ctx.ip]]);
    const passwordHash = await hasher.hash(input.password);
    const now = clock.now();
    const apiToken = this.lifecycle.newApiToken();
    try {
      const id = await store.transaction(async (tx) => {
        const id = await tx.insertAccount({
          public_id: randomToken(16),
          email: input.email.trim(),
          email_key: emailKey(input.email),
          fullname,
          password_hash: passwordHash,
          api_token_enc: apiToken.enc,
          api_token_digest: apiToken.digest,
          timezone,
          beginning_of_week: beginningOfWeek,
          default_workspace_id: null,
          country_id: null,
          credentials_version: 0,
          created_at: now,
          updated_at: now,
          authorization_updated_at: now,
          closed_at: null,
          disabled_at: null,
        });
        const ws = await tx.insertWorkspace({ name: `${fullname}'s workspace`, owner_id: id, created_at: now, updated_at: now });
        await tx.updateAccount(id, { default_workspace_id: ws });
        await audit.record(tx, 'signup', id, ctx);
        return id;
      });
      const account = await store.accountById(id);
      if (!account) throw new Error('account vanished after signup');
      return { account, method: 'password' };
    } catch (err) {
      if (err instanceof UniqueViolation) throw new CoreError('email_taken', MESSAGES.emailTaken, { problems: [{ field: 'email', message: MESSAGES.emailTaken }] });
      throw err;
    }
  }

  async updateProfile(principal: Principal, patch: ProfilePatch, ctx: RequestContext): Promise<Principal> {
    const { store, hasher, clock, audit, config, throttle, outbox } = this.d;
    const account = principal.account;
    const problems: FieldProblem[] = [];
    const change: AccountPatch = {};

    if (patch.fullname !== undefined) {
      if (validFullname(patch.fullname)) change.fullname = patch.fullname.trim();
      else problems.push({ field: 'fullname', message: MESSAGES.fullname });
    }
    if (patch.email !== undefined) {
      if (!validEmail(patch.email)) problems.push({ field: 'email', message: MESSAGES.email });
      else if (emailKey(patch.email) !== account.email_key) {
        change.email = patch.email.trim();
        change.email_key = emailKey(patch.email);
      }
    }
    if (patch.timezone !== undefined) {
      if (validTimezone(patch.timezone)) change.timezone = patch.timezone;
      else problems.push({ field: 'timezone', message: MESSAGES.timezone });
    }
    if (patch.beginningOfWeek !== undefined) {
      if (validBeginningOfWeek(patch.beginningOfWeek)) change.beginning_of_week = patch.beginningOfWeek;
      else problems.push({ field: 'beginning_of_week', message: MESSAGES.beginningOfWeek });
    }
    if (patch.defaultWorkspaceId !== undefined) {
      const owned = await store.workspacesOwnedBy(account.id);
      if (owned.some((w) => w.id === patch.defaultWorkspaceId)) change.default_workspace_id = patch.defaultWorkspaceId;
      else problems.push({ field: 'default_workspace_id', message: MESSAGES.defaultWorkspace });
    }
    if (patch.countryId !== undefined) {
      if (patch.countryId === null || (Number.isInteger(patch.countryId) && patch.countryId > 0 && patch.countryId < 100000)) change.country_id = patch.countryId;
      else problems.push({ field: 'country_id', message: MESSAGES.countryId });
    }
    let newHash: string | undefined;
    if (patch.password !== undefined) {
      if (patch.currentPassword === undefined || patch.currentPassword === '') {
        problems.push({ field: 'current_password', message: MESSAGES.currentPasswordMissing });
      } else if (account.password_hash === null || !(await hasher.verify(account.password_hash, patch.currentPassword))) {
        if (account.email_key !== null) await throttle.fail(store, account.email_key, ctx.ip);
        problems.push({ field: 'current_password', message: MESSAGES.currentPasswordWrong });
      } else {
        const problem = passwordProblem(patch.password, change.email ?? account.email ?? undefined, config.password);
        if (problem) problems.push({ field: 'password', message: problem });
        else newHash = await hasher.hash(patch.password);
      }
    }
    if (problems.length > 0) throw invalidInput(problems);

    const now = clock.now();
    change.updated_at = now;
    const notices: MailMessage[] = [];
    const notice = (event: NoticeEvent, to: string | null, newEmail?: string) => {
      if (to) notices.push(securityNotice({ event, to, at: now, ctx, newEmail, publicUrl: config.publicUrl }));
    };
    if (change.email !== undefined) notice('email.change', account.email, change.email ?? undefined);
    if (newHash !== undefined) {
      change.password_hash = newHash;
      change.credentials_version = account.credentials_version + 1;
      change.authorization_updated_at = now;
      notice('password.change', change.email ?? account.email);
    }
    const write = async (tx: Store) => {
      await tx.updateAccount(account.id, change);
      if (change.email !== undefined) await audit.record(tx, 'email.change', account.id, ctx);
      for (const m of notices) await outbox.enqueue(tx, m);
    };
    try {
      if (newHash === undefined) await store.transaction(write);
      else {
        // security.md: a password change kills every other session and Auth-Token (the caller's own
        // survives) and open reset codes; the API token is an integration credential and survives.
        await this.lifecycle.killCredentials(
          account.id,
          { sessions: 'all-but-caller', authTokens: 'all-but-caller', callerSessionId: principal.session?.id, resetCodes: true, apiToken: 'keep', verifiedCredentials: true },
          {
            before: write,
            after: async (tx, _now, killed) => {
              await audit.record(tx, 'password.change', account.id, ctx, { revoked: killed.revoked });
            },
          },
        );
      }
    } catch (err) {
      if (err instanceof UniqueViolation) throw invalidInput([{ field: 'email', message: MESSAGES.emailTaken }]);
      throw err;
    }
    if (notices.length > 0) void outbox.flush();
    const updated = await store.accountById(account.id);
    if (!updated) throw new Error('account vanished during update');
    return { ...principal, account: updated };
  }

  async resetApiToken(principal: Principal, ctx: RequestContext): Promise<string> {
    const { audit, outbox, config } = this.d;
    const account = principal.account;
    const { killed } = await this.lifecycle.killCredentials(
      account.id,
      { sessions: 'none', authTokens: 'none', resetCodes: false, apiToken: 'replace', verifiedCredentials: false },
      {
        after: async (tx, now) => {
          await audit.record(tx, 'api_token.reset', account.id, ctx);
          if (account.email) await outbox.enqueue(tx, securityNotice({ event: 'api_token.reset', to: account.email, at: now, ctx, publicUrl: config.publicUrl }));
        },
      },
    );
    void outbox.flush();
    if (killed.apiToken === undefined) throw new Error('API token was not replaced');
    return killed.apiToken;
  }

  /** `device`: the request opening the session (its user agent and address are listed on the account page). */
  async openSession(accountId: number, kind: SessionKind, remember: boolean, store: Store = this.d.store, device?: RequestContext): Promise<IssuedSession> {
    const s = this.d.config.sessions;
    const lifetime = kind === 'api' ? s.api : remember ? s.accountsRemembered : s.accounts;
    return this.d.sessions.create(store, accountId, kind, lifetime, 32, device);
  }

  /**
   * The API session for a Basic-authenticated v8 read: the same live session for the same account and client
   * credential while more than half its lifetime is left, so repeated calls write no rows (issue 9).
   */
  /** apiSessionFor's session when memory alone vouches for it (undefined: ask apiSessionFor). */
  apiSessionInMemory(principal: Principal): IssuedSession | undefined {
    return this.apiSessions.inMemory(principal.account.id, principal.credentialKey);
  }

  async apiSessionFor(principal: Principal, credential: string, ctx?: RequestContext): Promise<IssuedSession> {
    const accountId = principal.account.id;
    return this.apiSessions.forClient(accountId, credential, principal.credentialKey, () => this.openSession(accountId, 'api', false, this.d.store, ctx));
  }

  /** Ends the session that authenticated this request; false when the request used no session. */
  async endSession(principal: Principal, ctx: RequestContext): Promise<boolean> {
    if (!principal.session) return false;
    const ended = await this.d.store.revokeSession(principal.session.id, this.d.clock.now());
    if (ended) await this.d.audit.record(this.d.store, 'logout', principal.account.id, ctx, { kind: principal.session.kind });
    return ended;
  }

  /**
   * The operator disables (or enables) an account by email. Disabling kills every session, Auth-Token,
   * open reset code and the API token at once; while disabled, a correct password is answered with
   * `account_disabled`. Undefined: no such account.
   */
  async setDisabled(email: string, disabled: boolean, ctx: RequestContext): Promise<{ accountId: number; changed: boolean } | undefined> {
    const account = await this.d.store.accountByEmailKey(emailKey(email));
    if (!isOpen(account)) return undefined;
    if ((account.disabled_at !== null) === disabled) return { accountId: account.id, changed: false };
    const mark = async (tx: Store, now: number) => {
      await tx.updateAccount(account.id, { disabled_at: disabled ? now : null, authorization_updated_at: now, updated_at: now });
    };
    if (!disabled) {
      await this.d.store.transaction(async (tx) => {
        await mark(tx, this.d.clock.now());
        await this.d.audit.record(tx, 'account.enable', account.id, ctx, { revoked: 0 });
      });
      return { accountId: account.id, changed: true };
    }
    // The API token is replaced by one nobody has seen: a later enable must not bring back a token the disable killed.
    await this.lifecycle.killCredentials(account.id, EVERYTHING, {
      before: mark,
      after: async (tx, _now, killed) => this.d.audit.record(tx, 'account.disable', account.id, ctx, { revoked: killed.revoked }),
    });
    return { accountId: account.id, changed: true };
  }

  /**
   * The operator revokes everything an account is signed in with (security.md: "an operator's revoke kills
   * all of them"): every session and Auth-Token, open reset codes, and the API token (replaced by a new one
   * nobody has seen). The password stays. Undefined: no such open account.
   */
  async revokeAll(email: string, ctx: RequestContext): Promise<{ accountId: number; revoked: number } | undefined> {
    const account = await this.d.store.accountByEmailKey(emailKey(email));
    if (!isOpen(account)) return undefined;
    const { killed } = await this.lifecycle.killCredentials(account.id, EVERYTHING, {
      before: async (tx, now) => tx.updateAccount(account.id, { authorization_updated_at: now, updated_at: now }),
      after: async (tx, _now, k) => this.d.audit.record(tx, 'sessions.revoke', account.id, ctx, { revoked: k.revoked }),
    });
    return { accountId: account.id, revoked: killed.revoked };
  }

  /** Closes an account: every credential dies, personal data is erased, the row stays as a tombstone. */
  async close(principal: Principal, ctx: RequestContext): Promise<void> {
    const id = principal.account.id;
    await this.lifecycle.killCredentials(
      id,
      { ...EVERYTHING, apiToken: 'erase' },
      {
        before: async (tx, now) => {
          await tx.updateAccount(id, {
            email: null,
            email_key: null,
            fullname: '',
            password_hash: null,
            credentials_version: principal.account.credentials_version + 1,
            updated_at: now,
            authorization_updated_at: now,
            closed_at: now,
          });
          await tx.eraseWorkspaceNames(id, now);
          await tx.erasePersonas(id);
        },
        after: async (tx, _now, killed) => this.d.audit.record(tx, 'account.close', id, ctx, { revoked: killed.revoked }),
      },
    );
  }
}

/** Every credential dies: closure, an operator's disable and revoke. */
const EVERYTHING: KillOptions = { sessions: 'all', authTokens: 'all', resetCodes: true, apiToken: 'replace', verifiedCredentials: true };
