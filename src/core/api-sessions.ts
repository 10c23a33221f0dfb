// The v8 API session a Basic-authenticated `GET /api/v8/me` hands out (issue 9, item 6). The v8 contract sets
// `toggl_api_session_new` on every such answer; opening a new sessions row per call would let one busy client
// write millions of rows an hour. So a client repeating the same Basic credential gets the same live session
// back while more than half of its lifetime is left: a handful of rows instead of one per call. It is an
// ordinary sessions row, so it dies on every revocation (logout, password change or reset, closure, disable,
// operator revoke) exactly like any other, and a dead one is never handed out again (checked on reuse).
// The tokens are kept in process memory only (keyed by a keyed digest of the account and the credential),
// never in the store, which holds only their digests as for every session.
import { LRUCache } from 'lru-cache';
import type { CoreDeps } from './deps.js';
import { InFlight } from './in-flight.js';
import type { IssuedSession } from './sessions.js';

const REMEMBERED = 10000;

export class ApiSessionReuse {
  private readonly issued = new LRUCache<string, IssuedSession>({ max: REMEMBERED });
  /** Sessions being opened, by key: concurrent first calls of one client share one open (one row, not one each). */
  private readonly opening = new InFlight<IssuedSession>();

  constructor(private readonly d: CoreDeps) {}

  /**
   * A live API session for this account and client credential: the one handed out before, or `open()`'s.
   * `credentialKey` is the verified credential's key in memory (Principal.credentialKey), when known: then
   * the credential is not digested again.
   */
  async forClient(accountId: number, credential: string, credentialKey: string | undefined, open: () => Promise<IssuedSession>): Promise<IssuedSession> {
    const key = this.keyOf(accountId, credential, credentialKey);
    const now = this.d.clock.now();
    const prior = this.reusable(key, now);
    if (prior) {
      const live = this.d.sessions.checkDigestInMemory(prior.row.token_digest, ['api']) ?? (await this.d.sessions.check(this.d.store, prior.token, ['api']));
      if (live && live.account.id === accountId) return this.reissued(prior, now);
    }
    // Checked after the awaits above and set before the next one, so no two calls for one key both open.
    return this.opening.run(key, () =>
      open().then((s) => {
        this.issued.set(key, s);
        return s;
      }),
    );
  }

  /**
   * The session forClient would hand out, when memory alone vouches for it (undefined: ask forClient). As it
   * was issued: its cookie's Max-Age is what is left of it (`expiresAt`).
   */
  inMemory(accountId: number, credentialKey: string | undefined): IssuedSession | undefined {
    if (credentialKey === undefined) return undefined;
    const prior = this.reusable(this.keyOf(accountId, '', credentialKey), this.d.clock.now());
    const live = prior && this.d.sessions.checkDigestInMemory(prior.row.token_digest, ['api']);
    return live && live.account.id === accountId ? prior : undefined;
  }

  private keyOf(accountId: number, credential: string, credentialKey: string | undefined): string {
    return credentialKey === undefined ? this.d.keyring.digest('api-session-reuse', `${accountId}\0${credential}`) : `${accountId}\0${credentialKey}`;
  }

  /**
   * The session handed out before under this key while more than half of its lifetime is left. Its digest is
   * known from when it was opened (`row.token_digest`), so checking it in memory hashes nothing.
   */
  private reusable(key: string, now: number): IssuedSession | undefined {
    const prior = this.issued.get(key);
    return prior && (prior.expiresAt - now) / 1000 > prior.maxAge / 2 ? prior : undefined;
  }

  /** A session handed out again: its cookie lives for what is left of it. */
  private reissued(prior: IssuedSession, now: number): IssuedSession {
    return { ...prior, maxAge: Math.floor((prior.expiresAt - now) / 1000) };
  }
}
