// The store: the only module that writes SQL. The core calls these named queries and never sees Kysely.
// Every method takes times from its caller, so the core's clock is the only clock.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Dialect } from './migrations.js';
import type { Database } from './schema.js';

export type AccountRow = Database['accounts'] & { id: number };
export type SessionRow = Database['sessions'] & { id: number };
export type WorkspaceRow = Database['workspaces'] & { id: number };
export type ResetCodeRow = Database['reset_codes'] & { id: number };
export type NewAccount = Omit<AccountRow, 'id'>;
export type CompanyRow = Selectable<Database['companies']>;
export type AdministratorRow = Selectable<Database['administrators']>;
export type MemberRow = Selectable<Database['members']>;
export type ApplicationRow = Selectable<Database['applications']>;
export type CompanySessionRow = Database['company_sessions'];
/** An administrator with the names a login answer shows. */
export type AdministratorView = AdministratorRow & { company_name: string; email: string | null };
/** A member with the names a login answer shows. */
export type MemberView = MemberRow & { company_name: string; email: string | null };
export type AccountPatch = Partial<Omit<AccountRow, 'id' | 'public_id' | 'created_at'>>;

/** A write that would break a unique constraint (an email or token already in use). */
export class UniqueViolation extends Error {
  constructor(readonly constraint: string) {
    super(`unique constraint: ${constraint}`);
  }
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

async function mapErrors<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isUniqueViolation(err)) throw new UniqueViolation(what);
    throw err;
  }
}

type Db = Kysely<Database> | Transaction<Database>;

export class Store {
  constructor(
    private readonly db: Db,
    readonly dialect: Dialect,
    private readonly root: Kysely<Database> | undefined = undefined,
  ) {}

  /** Runs fn in one transaction: all of its writes land, or none do. Nested calls join the outer one. */
  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    return (this.db as Kysely<Database>).transaction().execute((trx) => fn(new Store(trx, this.dialect)));
  }

  async close(): Promise<void> {
    await (this.root ?? (this.db as Kysely<Database>)).destroy();
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  // ---- accounts -------------------------------------------------------------------------------

  async insertAccount(row: NewAccount): Promise<number> {
    return mapErrors('account', async () => {
      const r = await this.db.insertInto('accounts').values(row).returning('id').executeTakeFirstOrThrow();
      return Number(r.id);
    });
  }

  async updateAccount(id: number, patch: AccountPatch): Promise<void> {
    await mapErrors('account', () => this.db.updateTable('accounts').set(patch).where('id', '=', id).execute());
  }

  async accountById(id: number): Promise<AccountRow | undefined> {
    return (await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst()) as AccountRow | undefined;
  }

  async accountByEmailKey(emailKey: string): Promise<AccountRow | undefined> {
    // PostgreSQL text cannot hold NUL (the query would fail), and no stored key has one: emails are validated.
    if (emailKey.includes('\u0000')) return undefined;
    return (await this.db.selectFrom('accounts').selectAll().where('email_key', '=', emailKey).executeTakeFirst()) as
      | AccountRow
      | undefined;
  }

  async accountByApiTokenDigest(digests: string[]): Promise<AccountRow | undefined> {
    if (digests.length === 0) return undefined;
    return (await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('api_token_digest', 'in', digests)
      .where('closed_at', 'is', null)
      .where('disabled_at', 'is', null)
      .executeTakeFirst()) as AccountRow | undefined;
  }

  // ---- workspaces -----------------------------------------------------------------------------

  async insertWorkspace(row: Omit<WorkspaceRow, 'id'>): Promise<number> {
    const r = await this.db.insertInto('workspaces').values(row).returning('id').executeTakeFirstOrThrow();
    return Number(r.id);
  }

  async workspacesOwnedBy(accountId: number, changedAfter = 0): Promise<WorkspaceRow[]> {
    return (await this.db
      .selectFrom('workspaces')
      .selectAll()
      .where('owner_id', '=', accountId)
      .where('updated_at', '>', changedAfter)
      .orderBy('id')
      .execute()) as WorkspaceRow[];
  }

  /** Closure: workspace names carry the owner's name, so they go too. */
  async eraseWorkspaceNames(ownerId: number, now: number): Promise<void> {
    await this.db.updateTable('workspaces').set({ name: 'Closed workspace', updated_at: now }).where('owner_id', '=', ownerId).execute();
  }

  // ---- sessions -------------------------------------------------------------------------------

  async insertSession(row: Omit<SessionRow, 'id'>): Promise<number> {
    return mapErrors('session', async () => {
      const r = await this.db.insertInto('sessions').values(row).returning('id').executeTakeFirstOrThrow();
      return Number(r.id);
    });
  }

  async sessionByDigest(digest: string): Promise<SessionRow | undefined> {
    return (await this.db.selectFrom('sessions').selectAll().where('token_digest', '=', digest).executeTakeFirst()) as
      | SessionRow
      | undefined;
  }

  /** Records use of a session, at most once per `notBefore` window (no write per request). */
  async touchSession(id: number, now: number, notBefore: number): Promise<void> {
    await this.db.updateTable('sessions').set({ last_used_at: now }).where('id', '=', id).where('last_used_at', '<', notBefore).execute();
  }

  async revokeSession(id: number, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('sessions')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Sessions of an account that are neither revoked nor past their absolute expiry, newest first. */
  async openSessionsOf(accountId: number, now: number): Promise<SessionRow[]> {
    return (await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute()) as SessionRow[];
  }

  /** Revokes every live session of an account, except `keepId` when given; returns how many died. */
  async revokeSessionsOf(accountId: number, now: number, keepId?: number): Promise<number> {
    let q = this.db.updateTable('sessions').set({ revoked_at: now }).where('account_id', '=', accountId).where('revoked_at', 'is', null);
    if (keepId !== undefined) q = q.where('id', '!=', keepId);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Deletes what can no longer be used: sessions dead for a day, expired codes, stale throttle rows. */
  async purgeExpired(now: number): Promise<void> {
    const day = 86_400_000;
    const dead = this.db.selectFrom('sessions').select('id').where((eb) => eb.or([eb('expires_at', '<', now - day), eb('revoked_at', '<', now - day)]));
    await this.db.deleteFrom('company_sessions').where('session_id', 'in', dead).execute();
    await this.db.deleteFrom('sessions').where((eb) => eb.or([eb('expires_at', '<', now - day), eb('revoked_at', '<', now - day)])).execute();
    await this.db.deleteFrom('reset_codes').where('expires_at', '<', now - day).execute();
    await this.db
      .deleteFrom('login_throttle')
      .where('window_started_at', '<', now - day)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .execute();
  }

  // ---- password reset codes -------------------------------------------------------------------

  /** Stores a new code and voids every older one of the account. */
  async replaceResetCode(row: Omit<ResetCodeRow, 'id'>): Promise<void> {
    await this.db.deleteFrom('reset_codes').where('account_id', '=', row.account_id).execute();
    await mapErrors('reset code', () => this.db.insertInto('reset_codes').values(row).execute());
  }

  async resetCodeByDigest(digests: string[]): Promise<ResetCodeRow | undefined> {
    if (digests.length === 0) return undefined;
    return (await this.db.selectFrom('reset_codes').selectAll().where('code_digest', 'in', digests).executeTakeFirst()) as
      | ResetCodeRow
      | undefined;
  }

  /** Counts one wrong use of a code; returns the new count. */
  async addResetCodeTry(id: number): Promise<void> {
    await this.db
      .updateTable('reset_codes')
      .set((eb) => ({ tries: eb('tries', '+', 1) }))
      .where('id', '=', id)
      .execute();
  }

  /** Marks a code used; false when another request used it first (single use under concurrency). */
  async consumeResetCode(id: number, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('reset_codes')
      .set({ used_at: now })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async deleteResetCodesOf(accountId: number): Promise<void> {
    await this.db.deleteFrom('reset_codes').where('account_id', '=', accountId).execute();
  }

  // ---- login throttle -------------------------------------------------------------------------

  async throttleState(key: string): Promise<{ failures: number; locked_until: number | null; window_started_at: number } | undefined> {
    return this.db.selectFrom('login_throttle').select(['failures', 'locked_until', 'window_started_at']).where('key', '=', key).executeTakeFirst();
  }

  /**
   * Adds one failure to a counter in one atomic statement (safe across processes) and returns the new
   * count and lock. A counter whose window or lock has run out starts again from one.
   */
  async recordFailure(
    key: string,
    now: number,
    windowMs: number,
    maxFailures: number,
    lockMs: number,
  ): Promise<{ failures: number; lockedUntil: number | null }> {
    // Bound numbers are cast so PostgreSQL types them as bigint inside CASE (it would guess text).
    const n = (v: number) => sql<number>`cast(${v} as bigint)`;
    const stale = sql<boolean>`(login_throttle.window_started_at < ${n(now - windowMs)} or (login_throttle.locked_until is not null and login_throttle.locked_until <= ${n(now)}))`;
    const next = sql<number>`case when ${stale} then 1 else login_throttle.failures + 1 end`;
    const r = await this.db
      .insertInto('login_throttle')
      .values({ key, failures: 1, window_started_at: now, locked_until: maxFailures <= 1 ? now + lockMs : null })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: next,
          window_started_at: sql<number>`case when ${stale} then ${n(now)} else login_throttle.window_started_at end`,
          locked_until: sql<number | null>`case when ${next} >= ${n(maxFailures)} then ${n(now + lockMs)} else null end`,
        }),
      )
      .returning(['failures', 'locked_until'])
      .executeTakeFirstOrThrow();
    return { failures: Number(r.failures), lockedUntil: r.locked_until === null ? null : Number(r.locked_until) };
  }

  async clearThrottle(key: string): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('key', '=', key).execute();
  }

  // ---- audit log ------------------------------------------------------------------------------

  async appendAudit(row: Omit<Database['audit_log'], 'id'>): Promise<void> {
    await this.db.insertInto('audit_log').values(row).execute();
  }

  async auditOf(accountId: number): Promise<Array<{ event: string; at: number; ip: string | null; user_agent: string | null; detail: string | null }>> {
    return this.db
      .selectFrom('audit_log')
      .select(['event', 'at', 'ip', 'user_agent', 'detail'])
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute();
  }

  /** Audit rows of the given events, oldest first (events without an account: applications, address lockouts). */
  async auditEvents(events: string[]): Promise<Array<{ event: string; at: number; account_id: number | null; ip: string | null; user_agent: string | null; detail: string | null }>> {
    if (events.length === 0) return [];
    return this.db.selectFrom('audit_log').select(['event', 'at', 'account_id', 'ip', 'user_agent', 'detail']).where('event', 'in', events).orderBy('id').execute();
  }

  // ---- companies (BookingBug) -----------------------------------------------------------------

  async insertCompany(row: Omit<CompanyRow, 'id'>): Promise<number> {
    const r = await this.db.insertInto('companies').values(row).returning('id').executeTakeFirstOrThrow();
    return Number(r.id);
  }

  async companyById(id: number): Promise<CompanyRow | undefined> {
    return (await this.db.selectFrom('companies').selectAll().where('id', '=', id).executeTakeFirst()) as CompanyRow | undefined;
  }

  /** The ids from a company up to its root, the company first; empty when it does not exist. */
  async companyChain(id: number): Promise<number[]> {
    const r = await sql<{ id: number }>`
      with recursive chain(id, parent_id, depth) as (
        select id, parent_id, 0 from companies where id = ${id}
        union all
        select c.id, c.parent_id, chain.depth + 1 from companies c join chain on c.id = chain.parent_id where chain.depth < 1000
      )
      select id from chain order by depth`.execute(this.db);
    return r.rows.map((row) => Number(row.id));
  }

  async insertAdministrator(row: Omit<AdministratorRow, 'id'>): Promise<number> {
    return mapErrors('administrator', async () => {
      const r = await this.db.insertInto('administrators').values(row).returning('id').executeTakeFirstOrThrow();
      return Number(r.id);
    });
  }

  private administratorViews() {
    return this.db
      .selectFrom('administrators')
      .innerJoin('companies', 'companies.id', 'administrators.company_id')
      .innerJoin('accounts', 'accounts.id', 'administrators.account_id')
      .selectAll('administrators')
      .select(['companies.name as company_name', 'accounts.email as email'])
      .where('accounts.closed_at', 'is', null);
  }

  async administratorById(id: number): Promise<AdministratorView | undefined> {
    return (await this.administratorViews().where('administrators.id', '=', id).executeTakeFirst()) as AdministratorView | undefined;
  }

  async administratorsOfAccount(accountId: number): Promise<AdministratorView[]> {
    return (await this.administratorViews().where('administrators.account_id', '=', accountId).orderBy('administrators.id').execute()) as AdministratorView[];
  }

  async administratorsOfCompanies(companyIds: number[]): Promise<AdministratorView[]> {
    if (companyIds.length === 0) return [];
    return (await this.administratorViews().where('administrators.company_id', 'in', companyIds).orderBy('administrators.id').execute()) as AdministratorView[];
  }

  async insertMember(row: Omit<MemberRow, 'id'>): Promise<number> {
    return mapErrors('member', async () => {
      const r = await this.db.insertInto('members').values(row).returning('id').executeTakeFirstOrThrow();
      return Number(r.id);
    });
  }

  private memberViews() {
    return this.db
      .selectFrom('members')
      .innerJoin('companies', 'companies.id', 'members.company_id')
      .innerJoin('accounts', 'accounts.id', 'members.account_id')
      .selectAll('members')
      .select(['companies.name as company_name', 'accounts.email as email'])
      .where('accounts.closed_at', 'is', null);
  }

  async memberById(id: number): Promise<MemberView | undefined> {
    return (await this.memberViews().where('members.id', '=', id).executeTakeFirst()) as MemberView | undefined;
  }

  async membersOfAccount(accountId: number): Promise<MemberView[]> {
    return (await this.memberViews().where('members.account_id', '=', accountId).orderBy('members.id').execute()) as MemberView[];
  }

  /** Closure: the names an account carries as administrator or member go with it. */
  async erasePersonas(accountId: number): Promise<void> {
    await this.db.updateTable('administrators').set({ name: '' }).where('account_id', '=', accountId).execute();
    await this.db.updateTable('members').set({ first_name: '', last_name: '' }).where('account_id', '=', accountId).execute();
  }

  // ---- applications (BookingBug) --------------------------------------------------------------

  async insertApplication(row: Omit<ApplicationRow, 'id'>): Promise<number> {
    return mapErrors('application', async () => {
      const r = await this.db.insertInto('applications').values(row).returning('id').executeTakeFirstOrThrow();
      return Number(r.id);
    });
  }

  async applicationByAppId(appId: string): Promise<ApplicationRow | undefined> {
    return (await this.db.selectFrom('applications').selectAll().where('app_id', '=', appId).executeTakeFirst()) as ApplicationRow | undefined;
  }

  async applications(companyId?: number): Promise<ApplicationRow[]> {
    let q = this.db.selectFrom('applications').selectAll();
    if (companyId !== undefined) q = q.where('company_id', '=', companyId);
    return (await q.orderBy('id').execute()) as ApplicationRow[];
  }

  async revokeApplication(appId: string, now: number): Promise<boolean> {
    const r = await this.db.updateTable('applications').set({ revoked_at: now }).where('app_id', '=', appId).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  // ---- company sessions (BookingBug Auth-Tokens) ----------------------------------------------

  async insertCompanySession(row: CompanySessionRow): Promise<void> {
    await this.db.insertInto('company_sessions').values(row).execute();
  }

  async companySession(sessionId: number): Promise<CompanySessionRow | undefined> {
    return this.db.selectFrom('company_sessions').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
  }

  async moveCompanySession(sessionId: number, companyId: number): Promise<void> {
    await this.db.updateTable('company_sessions').set({ company_id: companyId }).where('session_id', '=', sessionId).execute();
  }

  // ---- mail outbox ----------------------------------------------------------------------------

  async enqueueMail(payloadEnc: string, now: number): Promise<void> {
    await this.db.insertInto('mail_outbox').values({ created_at: now, payload_enc: payloadEnc, attempts: 0, next_attempt_at: now, locked_until: null, last_error: null }).execute();
  }

  /** Claims up to `limit` due mails for this process for `leaseMs`; another process skips them meanwhile. */
  async claimMail(now: number, limit: number, leaseMs: number): Promise<Array<{ id: number; payload_enc: string; attempts: number }>> {
    const due = await this.db
      .selectFrom('mail_outbox')
      .select(['id', 'payload_enc', 'attempts'])
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .orderBy('id')
      .limit(limit)
      .execute();
    const claimed: Array<{ id: number; payload_enc: string; attempts: number }> = [];
    for (const m of due) {
      const r = await this.db
        .updateTable('mail_outbox')
        .set({ locked_until: now + leaseMs })
        .where('id', '=', m.id)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) claimed.push({ id: Number(m.id), payload_enc: m.payload_enc, attempts: Number(m.attempts) });
    }
    return claimed;
  }

  async mailSent(id: number): Promise<void> {
    await this.db.deleteFrom('mail_outbox').where('id', '=', id).execute();
  }

  async mailFailed(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.db
      .updateTable('mail_outbox')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: nextAttemptAt, locked_until: null, last_error: error.slice(0, 500) }))
      .where('id', '=', id)
      .execute();
  }

  async pendingMailCount(): Promise<number> {
    const r = await this.db.selectFrom('mail_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}

export function createStore(db: Kysely<Database>, dialect: Dialect): Store {
  return new Store(db, dialect, db);
}
