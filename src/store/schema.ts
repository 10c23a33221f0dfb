// The tables as TypeScript sees them (Kysely's database type). Times are milliseconds since the epoch.
import type { Generated } from 'kysely';

export interface AccountsTable {
  id: Generated<number>;
  public_id: string;
  email: string | null;
  email_key: string | null;
  fullname: string;
  password_hash: string | null;
  api_token_enc: string | null;
  api_token_digest: string | null;
  timezone: string;
  beginning_of_week: number;
  default_workspace_id: number | null;
  country_id: number | null;
  credentials_version: number;
  created_at: number;
  updated_at: number;
  authorization_updated_at: number;
  closed_at: number | null;
  /** Set by the operator (`gatehouse account disable`): no credential of the account works until re-enabled. */
  disabled_at: number | null;
}

export interface WorkspacesTable {
  id: Generated<number>;
  name: string;
  owner_id: number;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: Generated<number>;
  token_digest: string;
  account_id: number;
  kind: string;
  created_at: number;
  last_used_at: number;
  idle_seconds: number;
  expires_at: number;
  revoked_at: number | null;
  /** The user agent and client address the session was opened from (0006), null for older rows. */
  user_agent: string | null;
  client_address: string | null;
}

export interface ResetCodesTable {
  id: Generated<number>;
  account_id: number;
  code_digest: string;
  created_at: number;
  expires_at: number;
  tries: number;
  used_at: number | null;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: number;
  locked_until: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  event: string;
  account_id: number | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
}

export interface MailOutboxTable {
  id: Generated<number>;
  created_at: number;
  payload_enc: string;
  attempts: number;
  next_attempt_at: number;
  locked_until: number | null;
  last_error: string | null;
  /** When retries began (creation, or an operator's retry); the retry window counts from here. */
  retry_since: number | null;
  /** Set when the retry window ran out: kept with its last error until an operator retries it. */
  dead_at: number | null;
}

export interface CompaniesTable {
  id: Generated<number>;
  name: string;
  parent_id: number | null;
  created_at: number;
}

export interface AdministratorsTable {
  id: Generated<number>;
  company_id: number;
  account_id: number;
  name: string;
  role: string;
  created_at: number;
}

export interface MembersTable {
  id: Generated<number>;
  company_id: number;
  account_id: number;
  first_name: string;
  last_name: string;
  created_at: number;
}

export interface ApplicationsTable {
  id: Generated<number>;
  app_id: string;
  key_digest: string | null;
  company_id: number;
  name: string;
  created_at: number;
  revoked_at: number | null;
}

/** What an Auth-Token (a row of sessions) is bound to. */
export interface CompanySessionsTable {
  session_id: number;
  application_id: number;
  company_id: number;
  administrator_id: number | null;
  member_id: number | null;
}

/** One credential-invalidation signal: `account:<id>`, `app:<app_id>` or `session:<id>` (issue 9). */
export interface RevocationsTable {
  id: Generated<number>;
  at: number;
  tag: string;
}

export interface Database {
  accounts: AccountsTable;
  workspaces: WorkspacesTable;
  sessions: SessionsTable;
  reset_codes: ResetCodesTable;
  login_throttle: LoginThrottleTable;
  audit_log: AuditLogTable;
  mail_outbox: MailOutboxTable;
  companies: CompaniesTable;
  administrators: AdministratorsTable;
  members: MembersTable;
  applications: ApplicationsTable;
  company_sessions: CompanySessionsTable;
  revocations: RevocationsTable;
}
