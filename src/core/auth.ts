// Authentication: who is calling, from an email and password, an API token or a session token.
// Unknown emails cost the same Argon2id work as wrong passwords and count against the same throttle,
// so neither the answer nor its timing tells whether an account exists.
import type { AccountRow, SessionRow } from '../store/store.js';
import type { RequestContext } from './context.js';
import { sha256 } from './crypto.js';
import type { CoreDeps } from './deps.js';
import { CoreError, invalidCredentials } from './errors.js';
import { InFlight } from './in-flight.js';
import { isOpen, isUsable } from './lifecycle.js';
import { noteAuth, type AuthMethod, type AuthNote } from './metrics.js';
import type { SessionKind } from './sessions.js';
import { emailKey, EMAIL_MAX } from './validate.js';

export interface Principal {
  account: AccountRow;
  method: 'password' | 'api_token' | 'session';
  session?: SessionRow;
  /**
   * For a password or API token: the key the verified credential has in memory (a digest, never the
   * credential), so a client repeating it can be recognised without digesting it again (api-sessions.ts).
   */
  credentialKey?: string;
}

const API_TOKEN = /^[0-9a-f]{32}$/;

/**
 * An API token's key in memory: a plain SHA-256, as for sessions (a token is 128 random bits); the keyed
 * digests the store looks up by are computed only on a miss (issue 9: one cheap digest per request).
 */
function tokenKey(token: string): string {
  return `tok:${sha256(token)}`;
}

/**
 * An email key and password of sizes worth looking at. security.md: password length is bounded (256) before
 * hashing. No password the policy accepts is longer after NFKC, so a longer one fails at once; 4096 code units
 * bounds the work of normalising.
 */
function pairInBounds(key: string, password: string): boolean {
  return key.length > 0 && key.length <= EMAIL_MAX && password.length > 0 && password.length <= 4096;
}

/** Noted as a failed authentication (reason for the log line), then thrown as invalid credentials. */
function failed(note: AuthNote | undefined, reason: string, method: AuthMethod = 'password'): CoreError {
  noteAuth(note, method, 'bad_credentials', reason);
  return invalidCredentials();
}

export class Authenticator {
  /** The pairs being verified now (by pairKey): one verify per pair at a time. */
  private readonly verifying = new InFlight<Principal>();

  constructor(private readonly d: CoreDeps) {}

  /**
   * Checks an email and password. With `cache`, a pair that verified recently is accepted without a new
   * Argon2id verify (Basic auth on every request); a password change anywhere invalidates it.
   * With `eligible`, an account it refuses is treated exactly as an unknown email (dummy verify, failure
   * counted, same answer): a dialect that serves only some accounts reveals nothing about the others.
   */
  async password(
    email: string,
    password: string,
    ctx: RequestContext,
    options: { cache: boolean; eligible?: ((account: AccountRow) => Promise<boolean>) | undefined },
  ): Promise<Principal> {
    const { throttle, cache } = this.d;
    const note = ctx.note;
    const key = emailKey(email);
    if (!pairInBounds(key, password)) throw failed(note, 'malformed');
    if ([...password.normalize('NFKC')].length > this.d.config.password.maxLength) throw failed(note, 'password_too_long');
    const generation = cache.generation;
    if (!options.cache) return this.verify(key, password, ctx, options, undefined, generation);
    const pairKey = cache.pairKey(key, password);
    let hit = this.pairInMemory(key, pairKey);
    const running = hit ? undefined : this.verifying.get(pairKey);
    if (running) {
      // Another request is verifying this very pair (a client's opening burst of Basic requests): its answer
      // is awaited instead of a verify of our own, and taken from memory as a later request would take it.
      // When that check failed, or a revocation kept the pair out of memory, this one is checked in full.
      await running.catch(() => undefined);
      hit = this.pairInMemory(key, pairKey);
    }
    if (hit) {
      if (!throttle.addressClear(ctx.ip)) await this.checkThrottle(key, ctx);
      noteAuth(note, 'password', 'ok', 'ok_cached', hit.public_id);
      return { account: hit, method: 'password', credentialKey: pairKey };
    }
    if (running || !cache.remembersPairs) return this.verify(key, password, ctx, options, pairKey, generation);
    return this.verifying.run(pairKey, () => this.verify(key, password, ctx, options, pairKey, generation));
  }

  /**
   * The full check of `password` (no memory): throttle, store, Argon2id verify, failure counting, audit; a
   * pair that verified is remembered under `pairKey` unless something was revoked since `generation`.
   */
  private async verify(
    key: string,
    password: string,
    ctx: RequestContext,
    options: { eligible?: ((account: AccountRow) => Promise<boolean>) | undefined },
    pairKey: string | undefined,
    generation: number,
  ): Promise<Principal> {
    const { store, throttle, hasher, cache, audit } = this.d;
    const note = ctx.note;
    await this.checkThrottle(key, ctx);

    const found = await store.accountByEmailKey(key);
    const account = found && (!options.eligible || (await options.eligible(found))) ? found : undefined;
    let ok = false;
    if (isOpen(account) && account.password_hash !== null) {
      ok = await hasher.verify(account.password_hash, password);
    } else {
      await hasher.verifyDummy(password);
    }

    if (!account || !ok) {
      // The counts and their audit rows in one transaction whose commit does not wait for the disk: a fsync per
      // guess held the event loop (issue 9: token latency during a password-guessing storm; README, "Durability").
      const { remaining } = await store.transactionUnsynced(async (tx) => {
        const counted = await throttle.fail(tx, key, ctx.ip);
        await audit.record(tx, 'login.failure', account?.id ?? null, ctx, { remaining: counted.remaining });
        if (counted.remaining === 0) await audit.record(tx, 'login.lockout', account?.id ?? null, ctx, { scope: 'account' });
        if (counted.addressLocked) await audit.record(tx, 'login.lockout', null, ctx, { scope: 'address' });
        return counted;
      });
      noteAuth(note, 'password', 'bad_credentials', !found ? 'unknown_email' : !account ? 'not_eligible' : 'bad_password');
      throw invalidCredentials(remaining);
    }

    await throttle.clear(store, key);
    // Said only to whoever knows the password, so it reveals nothing to a guesser.
    const accountId = account.id;
    const publicId = account.public_id;
    if (!isUsable(account)) {
      await audit.record(store, 'login.refused.disabled', accountId, ctx);
      noteAuth(note, 'password', 'disabled', 'disabled', publicId);
      throw new CoreError('account_disabled', 'Account has been disabled');
    }
    if (account.password_hash !== null && hasher.needsRehash(account.password_hash)) {
      // Best effort: a busy pool or a failed write leaves the old hash, which still verifies.
      await hasher
        .hash(password)
        .then((rehashed) => store.updateAccount(account.id, { password_hash: rehashed }))
        .catch(() => undefined);
    }
    if (pairKey !== undefined) cache.remember(pairKey, account, generation, throttle.emailTag(key));
    await audit.record(store, 'login.success', account.id, ctx, { method: 'password' });
    noteAuth(note, 'password', 'ok', 'ok', account.public_id);
    return pairKey === undefined ? { account, method: 'password' } : { account, method: 'password', credentialKey: pairKey };
  }

  /**
   * The account of an email:password pair verified recently. Any change to the account (password, email,
   * state) drops the entry in every process (credential-cache.ts), and so does a cool-down of the email (its
   * tag, see remember above).
   */
  private pairInMemory(key: string, pairKey: string): AccountRow | undefined {
    const hit = this.d.cache.lookup(pairKey);
    return isUsable(hit) && hit.email_key === key ? hit : undefined;
  }

  /**
   * A Basic email:password that memory alone vouches for: the pair verified recently, and its email and the
   * client address known not to be cooling down. Undefined when memory cannot say (then `password` decides);
   * no store, no hashing, no promise (issue 9: the hot path of every repeated Basic request).
   */
  passwordInMemory(email: string, password: string, ctx: RequestContext): Principal | undefined {
    const key = emailKey(email);
    if (!pairInBounds(key, password)) return undefined;
    if (!this.d.throttle.addressClear(ctx.ip)) return undefined;
    const pairKey = this.d.cache.pairKey(key, password);
    const hit = this.pairInMemory(key, pairKey);
    if (!hit) return undefined;
    noteAuth(ctx.note, 'password', 'ok', 'ok_cached', hit.public_id);
    return { account: hit, method: 'password', credentialKey: pairKey };
  }

  /** Refuses (`locked`, noted) while the email or the client address is cooling down. */
  private async checkThrottle(key: string, ctx: RequestContext): Promise<void> {
    await this.d.throttle.check(this.d.store, key, ctx.ip).catch((err: unknown) => {
      if (err instanceof CoreError && err.code === 'locked') noteAuth(ctx.note, 'password', 'locked', 'locked');
      throw err;
    });
  }

  /** Checks an API token (32 lowercase hex characters): one keyed digest and one indexed lookup. */
  async apiToken(token: string, note?: AuthNote): Promise<Principal> {
    if (!API_TOKEN.test(token)) throw failed(note, 'malformed_token', 'api_token');
    const known = this.apiTokenInMemory(token, note);
    if (known) return known;
    const cache = this.d.cache;
    const key = tokenKey(token);
    const generation = cache.generation;
    const account = await this.d.store.accountByApiTokenDigest(this.d.keyring.digests('api-token', token));
    if (!isUsable(account)) throw failed(note, 'unknown_token', 'api_token');
    cache.set(key, [`account:${account.id}`], account, generation);
    noteAuth(note, 'api_token', 'ok', 'ok', account.public_id);
    return { account, method: 'api_token', credentialKey: key };
  }

  /** An API token verified recently (undefined when memory cannot say: then `apiToken` decides). */
  apiTokenInMemory(token: string, note?: AuthNote): Principal | undefined {
    if (!API_TOKEN.test(token)) return undefined;
    const key = tokenKey(token);
    const hit = this.d.cache.get<AccountRow>(key);
    if (!isUsable(hit)) return undefined;
    noteAuth(note, 'api_token', 'ok', 'ok_cached', hit.public_id);
    return { account: hit, method: 'api_token', credentialKey: key };
  }

  /** A session token of one of the kinds, live in memory (undefined when memory cannot say). */
  sessionInMemory(token: string, kinds: readonly SessionKind[], note?: AuthNote): Principal | undefined {
    const live = this.d.sessions.checkInMemory(token, kinds);
    if (!live) return undefined;
    noteAuth(note, 'session', 'ok', 'ok', live.account.public_id);
    return { account: live.account, method: 'session', session: live.session };
  }

  /** Checks a session token of one of the given kinds. */
  async session(token: string, kinds: readonly SessionKind[], note?: AuthNote): Promise<Principal> {
    const live = await this.d.sessions.check(this.d.store, token, kinds, note);
    if (!live) throw failed(note, 'unknown_session', 'session');
    noteAuth(note, 'session', 'ok', 'ok', live.account.public_id);
    return { account: live.account, method: 'session', session: live.session };
  }
}
