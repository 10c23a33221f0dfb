// What every core service is built from, and the plain views of accounts that dialects render.
import type { Config } from '../config.js';
import type { AccountRow, Store, WorkspaceRow } from '../store/store.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './context.js';
import type { VerifiedCredentials } from './credential-cache.js';
import type { Keyring } from './keys.js';
import type { Outbox } from './outbox.js';
import type { PasswordHasher } from './passwords.js';
import type { Sessions } from './sessions.js';
import type { LoginThrottle, RateLimits } from './throttle.js';

export interface CoreDeps {
  config: Config;
  store: Store;
  keyring: Keyring;
  hasher: PasswordHasher;
  clock: Clock;
  audit: AuditLog;
  throttle: LoginThrottle;
  limits: RateLimits;
  cache: VerifiedCredentials;
  sessions: Sessions;
  outbox: Outbox;
}

export interface UserProfile {
  id: number;
  publicId: string;
  email: string;
  fullname: string;
  apiToken: string;
  timezone: string;
  beginningOfWeek: number;
  defaultWorkspaceId: number | null;
  countryId: number | null;
  createdAt: number;
  updatedAt: number;
  authorizationUpdatedAt: number;
  hasPassword: boolean;
}

export interface WorkspaceView {
  id: number;
  name: string;
  createdAt: number;
  updatedAt: number;
}

export function profileOf(keyring: Keyring, a: AccountRow): UserProfile {
  return {
    id: a.id,
    publicId: a.public_id,
    email: a.email ?? '',
    fullname: a.fullname,
    apiToken: a.api_token_enc === null ? '' : keyring.decryptFor(a, a.api_token_enc),
    timezone: a.timezone,
    beginningOfWeek: a.beginning_of_week,
    defaultWorkspaceId: a.default_workspace_id,
    countryId: a.country_id,
    createdAt: a.created_at,
    updatedAt: a.updated_at,
    authorizationUpdatedAt: a.authorization_updated_at,
    hasPassword: a.password_hash !== null,
  };
}

export function workspaceOf(w: WorkspaceRow): WorkspaceView {
  return { id: w.id, name: w.name, createdAt: w.created_at, updatedAt: w.updated_at };
}
