// Sessions: random 256-bit tokens of which the store keeps only a SHA-256 digest, with an idle timeout
// and an absolute lifetime per kind. Checking one costs a digest and an indexed lookup, no hashing;
// the last-use time is written at most once per touch interval.
// A session token can also travel inside a signed JWS (EdDSA) so that other services can check it offline.
import type { AccountRow, SessionRow, Store } from '../store/store.js';
import type { SessionLifetime } from '../config.js';
import type { Clock, RequestContext } from './context.js';
import type { VerifiedCredentials } from './credential-cache.js';
import { randomToken, sha256 } from './crypto.js';
import { jose } from './jose.js';
import type { Keyring } from './keys.js';
import { isUsable } from './lifecycle.js';
import { noteAuth, observe, type AuthNote } from './metrics.js';

/** accounts and api: the Toggl dialect's; bb-admin and bb-member: BookingBug Auth-Tokens. */
export type SessionKind = 'accounts' | 'api' | 'bb-admin' | 'bb-member';

export interface IssuedSession {
  token: string;
  id: number;
  expiresAt: number;
  /** Seconds the session may live at most (a cookie's Max-Age). */
  maxAge: number;
  /** The row as written. */
  row: SessionRow;
}

export interface LiveSession {
  session: SessionRow;
  account: AccountRow;
}

export class Sessions {
  constructor(
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    private readonly touchSeconds: number,
    private readonly cache?: VerifiedCredentials,
  ) {}

  /**
   * A new session; `bytes` of randomness in its token (at least 16: 128 bits). `device` is the request that
   * opened it: its user agent and client address are kept for the account page's list of sessions.
   */
  async create(store: Store, accountId: number, kind: SessionKind, lifetime: SessionLifetime, bytes = 32, device?: RequestContext): Promise<IssuedSession> {
    const now = this.clock.now();
    const token = randomToken(Math.max(16, bytes));
    const expiresAt = now + lifetime.max * 1000;
    const values = {
      token_digest: sha256(token),
      account_id: accountId,
      kind,
      created_at: now,
      last_used_at: now,
      idle_seconds: lifetime.idle,
      expires_at: expiresAt,
      revoked_at: null,
      user_agent: device?.userAgent?.slice(0, 512) ?? null,
      client_address: device?.ip.slice(0, 64) ?? null,
    };
    const id = await store.insertSession(values);
    observe.sessionCreated(kind);
    return { token, id, expiresAt, maxAge: lifetime.max, row: { id, ...values } as SessionRow };
  }

  /** The live session a token names, with its open account; undefined when unknown, dead or revoked. */
  async check(store: Store, token: string, kinds: readonly SessionKind[], note?: AuthNote): Promise<LiveSession | undefined> {
    if (token.length === 0 || token.length > 128) return undefined;
    const digest = sha256(token);
    const key = `ses:${digest}`;
    const now = this.clock.now();
    // In memory: a live session verified recently. Its revocation, or any change to its account, drops the entry
    // in every process; expiry is checked here. A session that looks idle may have been used on another
    // instance, so it is read again from the store rather than refused.
    const hit = this.liveInMemory(key, now);
    if (hit) {
      if (!kinds.includes(hit.session.kind as SessionKind)) return undefined;
      await this.touch(store, hit.session, now);
      return hit;
    }
    const generation = this.cache?.generation ?? 0;
    const session = await store.sessionByDigest(digest);
    if (!session || !kinds.includes(session.kind as SessionKind)) return undefined;
    if (session.revoked_at !== null || !this.alive(session, now)) {
      noteAuth(note, session.kind.startsWith('bb-') ? 'auth_token' : 'session', 'expired', session.revoked_at !== null ? 'revoked_session' : 'expired_session');
      return undefined;
    }
    const account = await store.accountById(session.account_id);
    if (!isUsable(account)) return undefined;
    await this.touch(store, session, now);
    const live = { session, account };
    this.cache?.set(key, [`account:${account.id}`, `session:${session.id}`], live, generation);
    return live;
  }

  /**
   * A live session of one of the kinds that memory vouches for and whose use needs no write now (issue 9: no
   * store and no promise on the hot path). Undefined when memory cannot say: then `check` decides.
   */
  checkInMemory(token: string, kinds: readonly SessionKind[]): LiveSession | undefined {
    if (token.length === 0 || token.length > 128) return undefined;
    return this.checkDigestInMemory(sha256(token), kinds);
  }

  /** checkInMemory for a session whose token digest is known (one this process issued: `row.token_digest`). */
  checkDigestInMemory(digest: string, kinds: readonly SessionKind[]): LiveSession | undefined {
    const now = this.clock.now();
    const hit = this.liveInMemory(`ses:${digest}`, now);
    if (!hit || this.touchDue(hit.session, now)) return undefined;
    return kinds.includes(hit.session.kind as SessionKind) ? hit : undefined;
  }

  /** The session memory holds under `key` while it and its account are alive; undefined otherwise. */
  private liveInMemory(key: string, now: number): LiveSession | undefined {
    const hit = this.cache?.get<LiveSession>(key);
    return hit && isUsable(hit.account) && this.alive(hit.session, now) ? hit : undefined;
  }

  private alive(session: SessionRow, now: number): boolean {
    return session.expires_at > now && session.last_used_at + session.idle_seconds * 1000 > now;
  }

  /** How long a use may go unrecorded: at most the interval, and short enough that a short idle timeout still slides. */
  private touchMs(session: SessionRow): number {
    return Math.min(this.touchSeconds * 1000, (session.idle_seconds * 1000) / 2);
  }

  private touchDue(session: SessionRow, now: number): boolean {
    return session.last_used_at <= now - this.touchMs(session);
  }

  /** Records use at most once per interval (touchMs). */
  private async touch(store: Store, session: SessionRow, now: number): Promise<void> {
    if (!this.touchDue(session, now)) return;
    const touchMs = this.touchMs(session);
    // The remembered row shows the use too, so the next requests do not write again.
    const before = session.last_used_at;
    session.last_used_at = now;
    try {
      await store.touchSession(session.id, now, now - touchMs);
    } catch (err) {
      session.last_used_at = before;
      throw err;
    }
  }

  /** Wraps a session token in a compact JWS signed with the newest key. */
  async sign(token: string, subject: string, expiresAt: number): Promise<string> {
    const { kid, key } = this.keyring.signingKey;
    const claims = { sid: token, sub: subject, iat: Math.floor(this.clock.now() / 1000), exp: Math.floor(expiresAt / 1000) };
    const { CompactSign } = await jose();
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' }).sign(key);
  }

  /** The session token inside a JWS this server signed and that has not expired; undefined otherwise. */
  async unwrap(jws: string): Promise<string | undefined> {
    if (jws.length > 1024) return undefined;
    const key = `jws:${sha256(jws)}`;
    const hit = this.cache?.get<{ sid: string; exp: number }>(key);
    if (hit) return hit.exp * 1000 > this.clock.now() ? hit.sid : undefined;
    const generation = this.cache?.generation ?? 0;
    const sid = await this.verify(jws);
    if (sid !== undefined) this.cache?.set(key, [], sid, generation);
    return sid?.sid;
  }

  /**
   * The session token of a JWS whose signature was checked recently and that has not expired; undefined when
   * memory cannot say (then `unwrap` decides). A signature checked recently is not checked again (a JWS never
   * changes; its expiry is checked each time); revocation is the session's business.
   */
  unwrapInMemory(jws: string): string | undefined {
    if (jws.length > 1024) return undefined;
    const hit = this.cache?.get<{ sid: string; exp: number }>(`jws:${sha256(jws)}`);
    return hit && hit.exp * 1000 > this.clock.now() ? hit.sid : undefined;
  }

  private async verify(jws: string): Promise<{ sid: string; exp: number } | undefined> {
    try {
      const { compactVerify, decodeProtectedHeader } = await jose();
      const header = decodeProtectedHeader(jws);
      if (header.alg !== 'EdDSA' || typeof header.kid !== 'string') return undefined;
      const key = this.keyring.verifyingKey(header.kid);
      if (!key) return undefined;
      const { payload } = await compactVerify(jws, key, { algorithms: ['EdDSA'] });
      const claims = JSON.parse(new TextDecoder().decode(payload)) as { sid?: unknown; exp?: unknown };
      if (typeof claims.sid !== 'string' || typeof claims.exp !== 'number') return undefined;
      if (claims.exp * 1000 <= this.clock.now()) return undefined;
      return { sid: claims.sid, exp: claims.exp };
    } catch {
      return undefined;
    }
  }
}
