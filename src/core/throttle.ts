// Guessing and flooding limits, counted in the shared store so every instance sees the same numbers:
// password failures per account (email, known or not) and per client address, and rate limits on
// mail-sending routes (per target email and per client address) and on signups (per client address).
import type { Store } from '../store/store.js';
import type { Clock } from './context.js';
import type { VerifiedCredentials } from './credential-cache.js';
import { CoreError } from './errors.js';
import type { Keyring } from './keys.js';

export interface ThrottleSettings {
  /** Password failures for one email before its cool-down. */
  maxFailures: number;
  /** Password failures from one client address (over all emails) before its cool-down. */
  addressMaxFailures: number;
  lockoutSeconds: number;
}

export interface RateSettings {
  windowSeconds: number;
  resetMailPerEmail: number;
  resetMailPerAddress: number;
  signupsPerAddress: number;
}

const lockedError = (retryAfter: number) =>
  new CoreError('locked', 'Too many failed login attempts, try again later', { retryAfter, remainingAttempts: 0 });

/**
 * Password failures per email and per client address, and their cool-downs.
 * The Basic email:password path checks for a cool-down on every request; to do that without a store round
 * trip (issue 9), "not cooling down" is remembered in the credential cache: an address's as its own entry
 * (`addressClear`), an email's as a tag on the verified Basic entry (`emailTag`). Every failure that leaves a
 * key cooling down announces `throttle:<key>` as a revocation (Store.recordFailure), which drops those
 * entries in every process exactly as a password change drops a verified password.
 */
export class LoginThrottle {
  private readonly windowMs: number;

  constructor(
    private readonly keyring: Keyring,
    private readonly settings: ThrottleSettings,
    private readonly clock: Clock,
    private readonly cache?: VerifiedCredentials,
  ) {
    // Failures older than this are forgotten even without a success.
    this.windowMs = Math.max(settings.lockoutSeconds * 1000, 15 * 60 * 1000);
  }

  private accountKey(emailKey: string): string {
    return 'acct:' + this.keyring.digest('login-throttle', emailKey);
  }

  private addressKey(ip: string): string {
    return 'addr:' + this.keyring.digest('login-throttle-address', ip);
  }

  /** Throws `locked` (with the seconds to wait) while the email or the client address is cooling down. */
  async check(store: Store, emailKey: string, ip: string): Promise<void> {
    const generation = this.cache?.generation ?? 0;
    const addressKey = this.addressKey(ip);
    // One round trip for both keys.
    const until = await store.lockedUntil(this.accountKey(emailKey), addressKey);
    const now = this.clock.now();
    if (until !== null && until > now) throw lockedError(Math.max(1, Math.ceil((until - now) / 1000)));
    // Clear now, and clear until a failure locks it (which announces the tag): a cool-down that ends by
    // itself only makes this truer.
    this.cache?.set(`addr:${ip}`, [`throttle:${addressKey}`], true, generation);
  }

  /** True when memory knows the address is not cooling down (see the class comment); false when unsure. */
  addressClear(ip: string): boolean {
    return this.cache?.get<true>(`addr:${ip}`) === true;
  }

  /** The tag a lock of this email announces: a verified Basic entry for the email carries it. */
  emailTag(emailKey: string): string {
    return `throttle:${this.accountKey(emailKey)}`;
  }

  /**
   * Counts a failure against the email and the address; returns the attempts left for the email (0: cool-down
   * started) and whether this failure started the address's cool-down.
   */
  async fail(store: Store, emailKey: string, ip: string | undefined): Promise<{ remaining: number; addressLocked: boolean }> {
    const lockMs = this.settings.lockoutSeconds * 1000;
    const now = this.clock.now();
    const r = await store.recordFailure(this.accountKey(emailKey), now, this.windowMs, this.settings.maxFailures, lockMs, { announceLock: true });
    const a = ip === undefined ? undefined : await store.recordFailure(this.addressKey(ip), now, this.windowMs, this.settings.addressMaxFailures, lockMs, { announceLock: true });
    return { remaining: Math.max(0, this.settings.maxFailures - r.failures), addressLocked: a?.failures === this.settings.addressMaxFailures };
  }

  /** A success (or a completed reset) forgets the email's failures; the address keeps its count. */
  async clear(store: Store, emailKey: string): Promise<void> {
    await store.clearThrottle(this.accountKey(emailKey));
  }

  get maxFailures(): number {
    return this.settings.maxFailures;
  }
}

export type RateKind = 'reset-mail-email' | 'reset-mail-address' | 'signup-address';

/** Fixed-window counters for actions that cost the server (mail, new accounts). */
export class RateLimits {
  constructor(
    private readonly keyring: Keyring,
    private readonly settings: RateSettings,
    private readonly clock: Clock,
  ) {}

  private limit(kind: RateKind): number {
    if (kind === 'reset-mail-email') return this.settings.resetMailPerEmail;
    if (kind === 'reset-mail-address') return this.settings.resetMailPerAddress;
    return this.settings.signupsPerAddress;
  }

  /**
   * Counts one action under each (kind, subject) pair and throws `rate_limited` when any is over its
   * limit for the window. Subjects are digested, so the store holds no email or address in plain text.
   */
  async take(store: Store, items: ReadonlyArray<readonly [RateKind, string]>): Promise<void> {
    const windowMs = this.settings.windowSeconds * 1000;
    const now = this.clock.now();
    const keyed = items.map(([kind, subject]) => ({ max: this.limit(kind), key: `rate:${kind}:` + this.keyring.digest('rate-limit', `${kind}\0${subject}`) }));
    const refuse = (until: number) => new CoreError('rate_limited', 'Too many requests, try again later', { retryAfter: Math.max(1, Math.ceil((until - now) / 1000)) });
    // A refused request counts against nothing: a flood from one address that is already cut off must not
    // use up the limit of the email it names (the owner could then not get a reset mail).
    for (const { key } of keyed) {
      const state = await store.throttleState(key);
      if (state && state.locked_until !== null && state.locked_until > now) throw refuse(state.locked_until);
    }
    let over: number | undefined;
    for (const { key, max } of keyed) {
      const r = await store.recordFailure(key, now, windowMs, max, windowMs);
      // Concurrent requests may pass the check above together; the atomic count settles who is over.
      if (r.failures > max) over = Math.max(over ?? 0, r.lockedUntil ?? now + windowMs);
    }
    if (over !== undefined) throw refuse(over);
  }
}
