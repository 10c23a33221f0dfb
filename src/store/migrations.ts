// The one schema, as ordered migrations that run unchanged on SQLite and PostgreSQL.
// Add a new entry for every change; never edit one that has shipped.
import type { ColumnDefinitionBuilder, Kysely, Migration, MigrationProvider } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

function migrations(dialect: Dialect): Record<string, Migration> {
  // SQLite's rowid alias and PostgreSQL's identity column both hand out ids that are never reused.
  const idType = dialect === 'sqlite' ? 'integer' : 'serial';
  const time = dialect === 'sqlite' ? 'integer' : 'bigint';
  const id = (col: ColumnDefinitionBuilder) =>
    dialect === 'sqlite' ? col.primaryKey().autoIncrement() : col.primaryKey();

  return {
    '0001_identity': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('accounts')
          .addColumn('id', idType, id)
          .addColumn('public_id', 'text', (c) => c.notNull().unique())
          .addColumn('email', 'text')
          .addColumn('email_key', 'text', (c) => c.unique())
          .addColumn('fullname', 'text', (c) => c.notNull())
          .addColumn('password_hash', 'text')
          .addColumn('api_token_enc', 'text')
          .addColumn('api_token_digest', 'text', (c) => c.unique())
          .addColumn('timezone', 'text', (c) => c.notNull())
          .addColumn('beginning_of_week', 'integer', (c) => c.notNull())
          .addColumn('default_workspace_id', 'integer')
          .addColumn('country_id', 'integer')
          .addColumn('credentials_version', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull())
          .addColumn('authorization_updated_at', time, (c) => c.notNull())
          .addColumn('closed_at', time)
          .execute();

        await db.schema
          .createTable('workspaces')
          .addColumn('id', idType, id)
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('owner_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('workspaces_owner').on('workspaces').column('owner_id').execute();

        await db.schema
          .createTable('sessions')
          .addColumn('id', idType, id)
          .addColumn('token_digest', 'text', (c) => c.notNull().unique())
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('last_used_at', time, (c) => c.notNull())
          .addColumn('idle_seconds', 'integer', (c) => c.notNull())
          .addColumn('expires_at', time, (c) => c.notNull())
          .addColumn('revoked_at', time)
          .execute();
        await db.schema.createIndex('sessions_account').on('sessions').column('account_id').execute();

        await db.schema
          .createTable('reset_codes')
          .addColumn('id', idType, id)
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('code_digest', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('expires_at', time, (c) => c.notNull())
          .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('used_at', time)
          .execute();
        await db.schema.createIndex('reset_codes_account').on('reset_codes').column('account_id').execute();

        await db.schema
          .createTable('login_throttle')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('failures', 'integer', (c) => c.notNull())
          .addColumn('window_started_at', time, (c) => c.notNull())
          .addColumn('locked_until', time)
          .execute();

        await db.schema
          .createTable('audit_log')
          .addColumn('id', idType, id)
          .addColumn('at', time, (c) => c.notNull())
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('account_id', 'integer')
          .addColumn('ip', 'text')
          .addColumn('user_agent', 'text')
          .addColumn('detail', 'text')
          .execute();
        await db.schema.createIndex('audit_log_account').on('audit_log').columns(['account_id', 'at']).execute();

        await db.schema
          .createTable('mail_outbox')
          .addColumn('id', idType, id)
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('payload_enc', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', time, (c) => c.notNull())
          .addColumn('locked_until', time)
          .addColumn('last_error', 'text')
          .execute();
      },
    },
    '0002_companies': {
      // BookingBug: companies (a tree), administrators and members tied to accounts, applications, and the
      // binding of an Auth-Token (a row of sessions) to its application, company and persona.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('companies')
          .addColumn('id', idType, id)
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('parent_id', 'integer', (c) => c.references('companies.id'))
          .addColumn('created_at', time, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('companies_parent').on('companies').column('parent_id').execute();

        await db.schema
          .createTable('administrators')
          .addColumn('id', idType, id)
          .addColumn('company_id', 'integer', (c) => c.notNull().references('companies.id'))
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addUniqueConstraint('administrators_company_account', ['company_id', 'account_id'])
          .execute();
        await db.schema.createIndex('administrators_account').on('administrators').column('account_id').execute();

        await db.schema
          .createTable('members')
          .addColumn('id', idType, id)
          .addColumn('company_id', 'integer', (c) => c.notNull().references('companies.id'))
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('first_name', 'text', (c) => c.notNull())
          .addColumn('last_name', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addUniqueConstraint('members_company_account', ['company_id', 'account_id'])
          .execute();
        await db.schema.createIndex('members_account').on('members').column('account_id').execute();

        await db.schema
          .createTable('applications')
          .addColumn('id', idType, id)
          .addColumn('app_id', 'text', (c) => c.notNull().unique())
          .addColumn('key_digest', 'text')
          .addColumn('company_id', 'integer', (c) => c.notNull().references('companies.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('revoked_at', time)
          .execute();
        await db.schema.createIndex('applications_company').on('applications').column('company_id').execute();

        await db.schema
          .createTable('company_sessions')
          .addColumn('session_id', 'integer', (c) => c.primaryKey().references('sessions.id').onDelete('cascade'))
          .addColumn('application_id', 'integer', (c) => c.notNull().references('applications.id'))
          .addColumn('company_id', 'integer', (c) => c.notNull().references('companies.id'))
          .addColumn('administrator_id', 'integer', (c) => c.references('administrators.id'))
          .addColumn('member_id', 'integer', (c) => c.references('members.id'))
          .execute();
      },
    },
    '0003_account_disabled': {
      // An operator may disable an account (BookingBug's "Account has been disabled"); enabling clears it.
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('accounts').addColumn('disabled_at', time).execute();
      },
    },
    '0004_mail_dead_letters': {
      // Mail is never deleted undelivered: past its retry window a message is marked dead (with its last
      // error) until an operator retries it; an operator's retry starts a new window.
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('mail_outbox').addColumn('retry_since', time).execute();
        await db.schema.alterTable('mail_outbox').addColumn('dead_at', time).execute();
      },
    },
    '0005_revocations': {
      // Every write that kills or changes a credential appends a row here in the same transaction (the store
      // does it); other instances read it to drop what they verified in memory (issue 9).
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('revocations')
          .addColumn('id', idType, id)
          .addColumn('at', time, (c) => c.notNull())
          .addColumn('tag', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('revocations_at').on('revocations').column('at').execute();
      },
    },
    '0006_session_devices': {
      // Sessions per device on the account page: the user agent and client address a session was opened from.
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('sessions').addColumn('user_agent', 'text').execute();
        await db.schema.alterTable('sessions').addColumn('client_address', 'text').execute();
      },
    },
  };
}

export class StaticMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}
