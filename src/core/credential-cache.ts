// Verified credentials in memory (issue 9): a bounded LRU with a TTL from a credential's digest to what it
// proved (an account, a session, a BookingBug Auth-Token with its application), so a request whose credential
// was checked a moment ago costs no store round trip. Only digests are kept as keys, never a credential.
//
// Revocation stays instant because every entry carries tags (`account:<id>`, `session:<id>`, `app:<app_id>`)
// and every write that kills or changes a credential announces the same tags:
// - in this process, the store calls invalidate() once the write has committed (Store.onRevoked);
// - from other processes, the revocation feed (src/store/revocation-feed.ts) delivers them: PostgreSQL
//   LISTEN/NOTIFY plus a poll, or a PRAGMA data_version check on a shared SQLite file before every lookup;
//   while the feed cannot vouch for the last second, lookups miss and every request goes to the store.
// A lookup that started before an invalidation of one of its tags never fills the cache afterwards (the
// generation check), so a row read just before a revocation cannot come back from memory. The check is per
// tag: a revocation of another account, session or application (on a busy server, or from another instance)
// does not cancel the fills in flight, which would send every request of that moment to the store and, for a
// burst of Basic requests sharing one verify (auth.ts), to a verify each.
// forgetAccount() is the one in-process entry point the core calls; it is also reached through the store.
import { LRUCache } from 'lru-cache';
import type { AccountRow } from '../store/store.js';
import { randomBytes } from 'node:crypto';
import { sha256 } from './crypto.js';

/** What keeps the cache honest about other processes' revocations. */
export interface RevocationGuard {
  /** Applies revocations other processes committed (cheap; called before every lookup). */
  sync(): void;
  /** False while revocations of the last second might be unknown here (then nothing is served from memory). */
  fresh(): boolean;
}

const alwaysFresh: RevocationGuard = { sync: () => undefined, fresh: () => true };

interface Entry {
  tags: readonly string[];
  value: unknown;
}

/** Tags whose last invalidation is remembered (for the generation check); past it the oldest are forgotten. */
const INVALIDATED_TAGS = 10_000;

export interface CacheSettings {
  /** Lifetime of an entry; 0 turns the cache off. */
  ttlMs: number;
  /** Entries at most. */
  maxEntries: number;
  /** Lifetime of a Basic email:password entry (BASIC_AUTH_CACHE_SECONDS); 0 turns those off. */
  basicTtlMs: number;
}

export class VerifiedCredentials {
  private readonly lru: LRUCache<string, Entry> | undefined;
  private readonly byTag = new Map<string, Set<string>>();
  private epoch = 0;
  /** The epoch of each tag's last invalidation, oldest first (a Map keeps the order entries were set in). */
  private readonly invalidatedAt = new Map<string, number>();
  /** Lookups whose generation is below this may have missed a forgotten invalidation: they never fill. */
  private floor = 0;
  private readonly salt = randomBytes(32).toString('base64');
  private guard: RevocationGuard = alwaysFresh;

  constructor(
    private readonly settings: CacheSettings,
  ) {
    if (settings.maxEntries > 0 && (settings.ttlMs > 0 || settings.basicTtlMs > 0)) {
      this.lru = new LRUCache<string, Entry>({
        max: settings.maxEntries,
        ttl: Math.max(settings.ttlMs, settings.basicTtlMs, 1),
        // An evicted or expired entry leaves the tag index too.
        dispose: (entry, key) => this.unindex(key, entry.tags),
      });
    }
  }

  /** Attaches the cross-process revocation feed (the server does, once it runs). */
  setGuard(guard: RevocationGuard): void {
    this.guard = guard;
  }

  /** A token for a lookup about to read the store: pass it to set() so a fill never outlives a revocation. */
  get generation(): number {
    return this.epoch;
  }

  get<T>(key: string): T | undefined {
    if (!this.lru) return undefined;
    this.guard.sync();
    if (!this.guard.fresh()) return undefined;
    return this.lru.get(key)?.value as T | undefined;
  }

  set(key: string, tags: readonly string[], value: unknown, generation: number, ttlMs = this.settings.ttlMs): void {
    if (!this.lru || ttlMs <= 0 || this.invalidatedSince(generation, tags)) return;
    this.lru.set(key, { tags, value }, { ttl: ttlMs });
    for (const tag of tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  delete(key: string): void {
    this.lru?.delete(key);
  }

  /** Whether one of `tags` was invalidated (or everything was) after a lookup of `generation` began. */
  private invalidatedSince(generation: number, tags: readonly string[]): boolean {
    if (generation === this.epoch) return false;
    if (generation < this.floor) return true;
    return tags.some((tag) => (this.invalidatedAt.get(tag) ?? -1) > generation);
  }

  /** Drops every entry carrying one of the tags. */
  invalidate(tags: readonly string[]): void {
    this.epoch++;
    for (const tag of tags) {
      this.invalidatedAt.delete(tag);
      this.invalidatedAt.set(tag, this.epoch);
    }
    for (const [tag, at] of this.invalidatedAt) {
      if (this.invalidatedAt.size <= INVALIDATED_TAGS) break;
      this.invalidatedAt.delete(tag);
      this.floor = Math.max(this.floor, at);
    }
    if (!this.lru) return;
    for (const tag of tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      this.byTag.delete(tag);
      for (const k of [...keys]) this.lru.delete(k);
    }
  }

  /** Drops everything (a feed that lost track of revocations). */
  invalidateAll(): void {
    this.epoch++;
    this.floor = this.epoch;
    this.invalidatedAt.clear();
    this.lru?.clear();
    this.byTag.clear();
  }

  /** Every credential of the account verified in memory is forgotten at once. */
  forgetAccount(accountId: number): void {
    this.invalidate([`account:${accountId}`]);
  }

  private unindex(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.byTag.delete(tag);
    }
  }

  // ---- Basic email:password ---------------------------------------------------------------------

  /**
   * The key of an email:password pair in memory: a SHA-256 under this process's random salt, so memory never
   * holds the password nor a digest that could be guessed against without the salt. The key never leaves the
   * process, so it needs no key of the keyring; one one-shot digest is cheaper than an HMAC (issue 9).
   */
  pairKey(emailKey: string, password: string): string {
    return 'pw:' + this.secretDigest(`${emailKey}\0${password}`);
  }

  /** A digest of a secret for keys in this process's memory (see pairKey). */
  secretDigest(value: string): string {
    return sha256(`${this.salt}\0${value}`);
  }

  /** Whether pairs that verified are kept at all (BASIC_AUTH_CACHE_SECONDS above 0, and room for entries). */
  get remembersPairs(): boolean {
    return this.lru !== undefined && this.settings.basicTtlMs > 0;
  }

  /** The account an email:password pair (by its pairKey) verified for recently. */
  lookup(pairKey: string): AccountRow | undefined {
    if (this.settings.basicTtlMs <= 0) return undefined;
    return this.get<AccountRow>(pairKey);
  }

  /** `throttleTag`: announced when the email starts cooling down, which must drop the entry too. */
  remember(pairKey: string, account: AccountRow, generation: number, throttleTag: string): void {
    this.set(pairKey, [`account:${account.id}`, throttleTag], account, generation, this.settings.basicTtlMs);
  }
}
