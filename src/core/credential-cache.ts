// A short-lived memory of email:password pairs that verified, so a client repeating the same Basic
// credentials on every request does not pay a full Argon2id verify each time. Entries are keyed by a keyed
// digest of the pair (the password itself is never kept) and hold the account's credentials version:
// a password change anywhere bumps the version in the store, and the next lookup misses.
import type { Keyring } from './keys.js';

interface Entry {
  accountId: number;
  credentialsVersion: number;
  expiresAt: number;
}

export class VerifiedCredentials {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly keyring: Keyring,
    private readonly ttlMs: number,
    private readonly maxEntries = 10000,
  ) {}

  private key(emailKey: string, password: string): string {
    return this.keyring.digest('basic-cache', `${emailKey}\0${password}`);
  }

  lookup(emailKey: string, password: string, now: number): Entry | undefined {
    if (this.ttlMs <= 0) return undefined;
    const k = this.key(emailKey, password);
    const e = this.entries.get(k);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(k);
      return undefined;
    }
    return e;
  }

  remember(emailKey: string, password: string, accountId: number, credentialsVersion: number, now: number): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(this.key(emailKey, password), { accountId, credentialsVersion, expiresAt: now + this.ttlMs });
  }

  forgetAccount(accountId: number): void {
    for (const [k, e] of this.entries) if (e.accountId === accountId) this.entries.delete(k);
  }
}
