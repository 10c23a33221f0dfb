// Sessions per device: every live session of an account, whichever dialect opened it (accounts-service
// sessions, v8 API sessions, BookingBug Auth-Tokens), with the user agent, client address and times
// recorded for it; and revocation of one of them, or of every one but the caller's. A revoked row is dead
// at once in every dialect, since each request reads its session row.
import type { Principal } from './auth.js';
import type { RequestContext } from './context.js';
import type { CoreDeps } from './deps.js';
import type { SessionKind } from './sessions.js';

export interface DeviceSession {
  id: number;
  kind: SessionKind;
  userAgent: string | null;
  clientAddress: string | null;
  createdAt: number;
  lastUsedAt: number;
  /** The session the caller is using. */
  current: boolean;
}

export class SessionDevices {
  constructor(private readonly d: CoreDeps) {}

  /** Live sessions of the caller's account (not revoked, not expired, not idle too long), newest first. */
  async list(principal: Principal): Promise<DeviceSession[]> {
    const now = this.d.clock.now();
    const rows = await this.d.store.openSessionsOf(principal.account.id, now);
    return rows
      .filter((s) => s.last_used_at + s.idle_seconds * 1000 > now)
      .map((s) => ({
        id: s.id,
        kind: s.kind as SessionKind,
        userAgent: s.user_agent,
        clientAddress: s.client_address,
        createdAt: s.created_at,
        lastUsedAt: s.last_used_at,
        current: principal.session?.id === s.id,
      }));
  }

  /** Revokes one session of the caller's account; false when it is not theirs or already dead. */
  async revoke(principal: Principal, sessionId: number, ctx: RequestContext): Promise<boolean> {
    const { store, clock, audit } = this.d;
    const now = clock.now();
    const mine = (await store.openSessionsOf(principal.account.id, now)).find((s) => s.id === sessionId);
    if (!mine) return false;
    const ended = await store.revokeSession(mine.id, now);
    if (ended) await audit.record(store, 'sessions.revoke', principal.account.id, ctx, { revoked: 1, kind: mine.kind });
    return ended;
  }

  /** Revokes every session of the caller's account except the one in use; returns how many died. */
  async revokeOthers(principal: Principal, ctx: RequestContext): Promise<number> {
    const { store, clock, audit } = this.d;
    const revoked = await store.transaction(async (tx) => {
      const n = await tx.revokeSessionsOf(principal.account.id, clock.now(), principal.session?.id);
      await audit.record(tx, 'sessions.revoke', principal.account.id, ctx, { revoked: n, others: true });
      return n;
    });
    return revoked;
  }
}
