// Password-guessing throttle: failures are counted per email (known or not, so the count itself reveals
// nothing) in the shared store, so every instance sees the same count. At the limit, password logins for
// that email are refused for a cool-down; tokens and sessions are not affected.
import type { Store } from '../store/store.js';
import type { Clock } from './context.js';
import type { Keyring } from './keys.js';

export interface ThrottleSettings {
  maxFailures: number;
  lockoutSeconds: number;
}

export class LoginThrottle {
  private readonly windowMs: number;

  constructor(
    private readonly keyring: Keyring,
    private readonly settings: ThrottleSettings,
    private readonly clock: Clock,
  ) {
    // Failures older than this are forgotten even without a success.
    this.windowMs = Math.max(settings.lockoutSeconds * 1000, 15 * 60 * 1000);
  }

  private key(emailKey: string): string {
    return 'acct:' + this.keyring.digest('login-throttle', emailKey);
  }

  /** Seconds left in a running cool-down, or undefined when password logins are open. */
  async lockedFor(store: Store, emailKey: string): Promise<number | undefined> {
    const state = await store.throttleState(this.key(emailKey));
    const now = this.clock.now();
    if (!state || state.locked_until === null || state.locked_until <= now) return undefined;
    return Math.max(1, Math.ceil((state.locked_until - now) / 1000));
  }

  /** Counts a failure; returns the attempts left (0 means the cool-down has started). */
  async fail(store: Store, emailKey: string): Promise<number> {
    const r = await store.recordFailure(this.key(emailKey), this.clock.now(), this.windowMs, this.settings.maxFailures, this.settings.lockoutSeconds * 1000);
    return Math.max(0, this.settings.maxFailures - r.failures);
  }

  async clear(store: Store, emailKey: string): Promise<void> {
    await store.clearThrottle(this.key(emailKey));
  }

  get maxFailures(): number {
    return this.settings.maxFailures;
  }
}
