// The identity core assembled: one object per concern, built from the store, the keys and the settings.
// Dialects receive a Core and call its services; nothing here knows about HTTP.
import type { Config } from '../config.js';
import type { Store } from '../store/store.js';
import { Accounts } from './accounts.js';
import { Applications } from './applications.js';
import { Companies } from './companies.js';
import { BOOKINGBUG_AUDIENCE, CompanyLogins } from './company-sessions.js';
import { SessionDevices } from './devices.js';
import { AuditLog } from './audit.js';
import { Authenticator } from './auth.js';
import { systemClock, type Clock } from './context.js';
import { VerifiedCredentials } from './credential-cache.js';
import type { CoreDeps } from './deps.js';
import { Keyring } from './keys.js';
import { Outbox, type MailTransport, type OutboxLogger } from './outbox.js';
import { PasswordHasher } from './passwords.js';
import { PasswordResets } from './resets.js';
import { Sessions } from './sessions.js';
import { LoginThrottle, RateLimits } from './throttle.js';

export interface Core {
  config: Config;
  store: Store;
  keyring: Keyring;
  auth: Authenticator;
  accounts: Accounts;
  resets: PasswordResets;
  sessions: Sessions;
  outbox: Outbox;
  hasher: PasswordHasher;
  clock: Clock;
  companies: Companies;
  applications: Applications;
  companyLogins: CompanyLogins;
  /** Verified credentials in memory; the server attaches the cross-process revocation feed to it. */
  credentials: VerifiedCredentials;
  /** Sessions per device (the account page). */
  devices: SessionDevices;
}

export interface CoreOptions {
  config: Config;
  store: Store;
  secrets: string[];
  mail: MailTransport;
  log: OutboxLogger;
  clock?: Clock;
}

export function createCore(options: CoreOptions): Core {
  const { config, store } = options;
  const clock = options.clock ?? systemClock;
  const keyring = new Keyring(options.secrets);
  const cache = new VerifiedCredentials({
    ttlMs: config.credentialCache.seconds * 1000,
    maxEntries: config.credentialCache.size,
    basicTtlMs: config.basicCacheSeconds * 1000,
  });
  const deps: CoreDeps = {
    config,
    store,
    keyring,
    clock,
    hasher: new PasswordHasher(config.hashing),
    audit: new AuditLog(clock),
    throttle: new LoginThrottle(keyring, config.login, clock, cache),
    limits: new RateLimits(keyring, config.rateLimits, clock),
    cache,
    sessions: new Sessions(keyring, clock, config.sessionTouchSeconds, cache),
    outbox: new Outbox(store, keyring, options.mail, clock, options.log, config.mailRetry),
  };
  // Every committed write that kills or changes a credential drops what this process verified (issue 9).
  store.onRevoked((tags) => deps.cache.invalidate(tags));
  const accounts = new Accounts(deps);
  const auth = new Authenticator(deps);
  const companies = new Companies(deps, accounts);
  const companyLogins = new CompanyLogins(deps, companies, auth, accounts);
  const resets = new PasswordResets(deps, accounts);
  resets.registerAudience(BOOKINGBUG_AUDIENCE, (account, data) => companyLogins.audienceAccepts(account.id, data));
  return {
    config,
    store,
    keyring,
    clock,
    auth,
    companies,
    applications: new Applications(deps),
    companyLogins,
    accounts,
    resets,
    sessions: deps.sessions,
    outbox: deps.outbox,
    hasher: deps.hasher,
    credentials: deps.cache,
    devices: new SessionDevices(deps),
  };
}
