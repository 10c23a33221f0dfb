// The store: the only module that writes SQL. The core calls these named queries and never sees Kysely.
// Every method takes times from its caller, so the core's clock is the only clock.
import { randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { Migrator, sql, type CompiledQuery, type Kysely, type Selectable, type Transaction } from 'kysely';
import { reportQuery } from './db.js';
import { StaticMigrations, type Dialect } from './migrations.js';
import { NamedQuery, PreparedQuery } from './prepared.js';
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

/**
 * The PostgreSQL channel on which committed revocations are announced. Payload: space-separated tags, the
 * first word `@<origin>` naming the announcing process (Store.origin; no tag starts with `@`).
 */
export const REVOCATION_CHANNEL = 'gatehouse_revocations';

/** Told, after commit, the tags of every write that killed or changed a credential, and their revocation ids (issue 9). */
export type RevocationListener = (tags: string[], ids: number[]) => void;

/** A transaction's revocations, announced in-process once it has committed. */
interface Pending {
  tags: string[];
  ids: number[];
}

class RevocationSignals {
  readonly listeners = new Set<RevocationListener>();
  fire(p: Pending): void {
    for (const l of this.listeners) l(p.tags, p.ids);
  }
}

/** The hot-path lookups, built and compiled once (issue 9); placeholders stand for the values bound per call. */
function hotQueries(db: Kysely<Database>) {
  return {
    accountById: new PreparedQuery(() => db.selectFrom('accounts').selectAll().where('id', '=', 0), 1),
    // Every password login (and every guess of a storm) looks its email up.
    accountByEmailKey: new PreparedQuery(() => db.selectFrom('accounts').selectAll().where('email_key', '=', ''), 1),
    accountByApiToken: new PreparedQuery(
      () => db.selectFrom('accounts').selectAll().where('api_token_digest', '=', '').where('closed_at', 'is', null).where('disabled_at', 'is', null),
      1,
    ),
    sessionByDigest: new PreparedQuery(() => db.selectFrom('sessions').selectAll().where('token_digest', '=', ''), 1),
    touchSession: new PreparedQuery(() => db.updateTable('sessions').set({ last_used_at: 0 }).where('id', '=', 0).where('last_used_at', '<', 0), 3),
    companySession: new PreparedQuery(() => db.selectFrom('company_sessions').selectAll().where('session_id', '=', 0), 1),
    applicationByAppId: new PreparedQuery(() => db.selectFrom('applications').selectAll().where('app_id', '=', ''), 1),
    companyById: new PreparedQuery(() => db.selectFrom('companies').selectAll().where('id', '=', 0), 1),
    clearThrottle: new PreparedQuery(() => db.deleteFrom('login_throttle').where('key', '=', ''), 1),
    ping: new PreparedQuery(() => db.selectNoFrom(sql<number>`1`.as('one')), 0),
    lockedUntil: new PreparedQuery(
      () => db.selectFrom('login_throttle').select((eb) => eb.fn.max('locked_until').as('locked_until')).where('key', 'in', ['', '']),
      2,
    ),
    // A failed login's bookkeeping: built once, because a guessing storm runs it once per guess and
    // building it was most of a failure's time on the event loop (issue 9).
    recordFailure: new NamedQuery<{ failures: number | string; locked_until: number | string | null }, 'key' | 'now' | 'staleBefore' | 'firstLock' | 'max' | 'lockUntil'>(
      (v) => {
        // Bound numbers are cast so PostgreSQL types them as bigint inside CASE (it would guess text).
        const n = (value: never) => sql<number>`cast(${value} as bigint)`;
        const stale = sql<boolean>`(login_throttle.window_started_at < ${n(v('staleBefore'))} or (login_throttle.locked_until is not null and login_throttle.locked_until <= ${n(v('now'))}))`;
        const next = sql<number>`case when ${stale} then 1 else login_throttle.failures + 1 end`;
        return db
          .insertInto('login_throttle')
          .values({ key: v('key'), failures: 1, window_started_at: v('now'), locked_until: v('firstLock') })
          .onConflict((oc) =>
            oc.column('key').doUpdateSet({
              failures: next,
              window_started_at: sql<number>`case when ${stale} then ${n(v('now'))} else login_throttle.window_started_at end`,
              locked_until: sql<number | null>`case when ${next} >= ${n(v('max'))} then ${n(v('lockUntil'))} else null end`,
            }),
          )
          .returning(['failures', 'locked_until']);
      },
    ),
    appendAudit: new NamedQuery<never, Exclude<keyof Database['audit_log'], 'id'>>((v) =>
      db.insertInto('audit_log').values({ at: v('at'), event: v('event'), account_id: v('account_id'), ip: v('ip'), user_agent: v('user_agent'), detail: v('detail') }),
    ),
  };
}
type HotQueries = ReturnType<typeof hotQueries>;

interface Shared {
  signals: RevocationSignals;
  hot: HotQueries | undefined;
  /** This process's mark on the revocations it announces on PostgreSQL. */
  origin: string;
}

function newShared(hot: HotQueries | undefined): Shared {
  return { signals: new RevocationSignals(), hot, origin: randomBytes(9).toString('base64url') };
}

export class Store {
  /** The connection behind a root store (set by createStore). */
  source: StoreSource = {};

  constructor(
    private readonly db: Db,
    readonly dialect: Dialect,
    private readonly root: Kysely<Database> | undefined = undefined,
    private readonly shared: Shared = newShared(undefined),
    /** Inside a transaction: revocations to announce in-process once it has committed. */
    private readonly pending: Pending | undefined = undefined,
  ) {}

  private get hot(): HotQueries {
    // Compiling needs no connection: a transaction's builder compiles the same SQL as the root's.
    return (this.shared.hot ??= hotQueries(this.db as Kysely<Database>));
  }

  private get signals(): RevocationSignals {
    return this.shared.signals;
  }

  /** Runs fn in one transaction: all of its writes land, or none do. Nested calls join the outer one. */
  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    return this.transactionOn(this.db as Kysely<Database>, fn);
  }

  /**
   * Like transaction(), but on SQLite its commit does not wait for the disk (synchronous=NORMAL for this one
   * commit): for bookkeeping no client is told was saved, a failed login's throttle counts and audit rows
   * (README, "Durability"). Like every commit it survives a crash of the process at once (the WAL frames are
   * in the file); they reach the disk with the next commit that waits, or the next checkpoint, so only a power
   * cut or an operating-system crash in between loses them. Why: every SQLite commit's fsync holds the event
   * loop, and a password-guessing storm is one commit per guess (issue 9: token latency during a storm).
   * PostgreSQL commits off the event loop, so there it is an ordinary transaction.
   */
  async transactionUnsynced<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    const sqlite = this.source.sqlite;
    if (this.db.isTransaction || sqlite === undefined) return this.transaction(fn);
    // The connection is held from before the switch until after the switch back, so no other commit can run
    // in between and reach its client unsynced.
    return (this.db as Kysely<Database>).connection().execute(async (conn) => {
      sqlite.pragma('synchronous = NORMAL');
      try {
        return await this.transactionOn(conn, fn);
      } finally {
        sqlite.pragma('synchronous = FULL');
      }
    });
  }

  private async transactionOn<T>(db: Kysely<Database>, fn: (tx: Store) => Promise<T>): Promise<T> {
    const pending: Pending = { tags: [], ids: [] };
    const result = await db.transaction().execute((trx) => fn(new Store(trx, this.dialect, undefined, this.shared, pending)));
    if (pending.tags.length > 0) this.signals.fire(pending);
    return result;
  }

  /**
   * This process's mark on the revocations it announces (the first word of a NOTIFY payload): the feed ignores
   * its own announcements, which the listeners below have had at commit.
   */
  get origin(): string {
    return this.shared.origin;
  }

  /**
   * Subscribes to committed revocations of this process: every write below that kills or changes a credential
   * (account updates, session and application revokes, company-session moves) announces its tags.
   */
  onRevoked(listener: RevocationListener): () => void {
    this.signals.listeners.add(listener);
    return () => this.signals.listeners.delete(listener);
  }

  /**
   * Records a revocation inside the caller's transaction: a row other processes read (SQLite's shared file,
   * PostgreSQL's poll) and, on PostgreSQL, a NOTIFY that the server delivers only if the transaction commits.
   * In this process the listeners hear of it after the commit (transaction() above).
   */
  private async revoked(tags: string[]): Promise<void> {
    if (!this.db.isTransaction || this.pending === undefined) throw new Error('revocations are recorded inside a transaction');
    // Store bookkeeping (purge age only), so the wall clock is fine here.
    const at = Date.now();
    const rows = await this.db.insertInto('revocations').values(tags.map((tag) => ({ at, tag }))).returning('id').execute();
    if (this.dialect === 'postgres') await sql`select pg_notify(${REVOCATION_CHANNEL}, ${[`@${this.origin}`, ...tags].join(' ')})`.execute(this.db);
    this.pending.tags.push(...tags);
    this.pending.ids.push(...rows.map((r) => Number(r.id)));
  }

  /** Revocations recorded after `afterId` (at most `limit`, oldest first): the cross-process feed reads these. */
  async revocationsAfter(afterId: number, limit = 1000): Promise<Array<{ id: number; tag: string }>> {
    const rows = await this.db.selectFrom('revocations').select(['id', 'tag']).where('id', '>', afterId).orderBy('id').limit(limit).execute();
    return rows.map((r) => ({ id: Number(r.id), tag: r.tag }));
  }

  /** The newest revocation id (0 when none): where a new process starts reading. */
  async lastRevocationId(): Promise<number> {
    const r = await this.db.selectFrom('revocations').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
    return Number(r?.id ?? 0);
  }

  async close(): Promise<void> {
    await (this.root ?? (this.db as Kysely<Database>)).destroy();
  }

  /** Every migration this build knows, with the time it was applied (null: pending). */
  async migrationStatus(): Promise<Array<{ name: string; appliedAt: number | null }>> {
    const migrator = new Migrator({ db: this.root ?? (this.db as Kysely<Database>), provider: new StaticMigrations(this.dialect) });
    const all = await migrator.getMigrations();
    return all.map((m) => ({ name: m.name, appliedAt: m.executedAt ? m.executedAt.getTime() : null }));
  }

  async ping(): Promise<void> {
    await this.hotRows(this.hot.ping.bind());
  }

  /**
   * Runs a hot-path read. On SQLite, outside a transaction, it runs on the connection at once: better-sqlite3
   * is synchronous and db.ts keeps the statement prepared, so Kysely's connection queue and its promise hops
   * cost more than the query itself (issue 9). While a transaction is open on the connection the read waits
   * in Kysely's queue like any other query, so it never sees a transaction's uncommitted rows. Timed into the
   * query metrics either way.
   */
  private async hotRows<R>(query: CompiledQuery<R>): Promise<R[]> {
    const sqlite = this.source.sqlite;
    if (sqlite === undefined || sqlite.inTransaction) return (await this.db.executeQuery(query)).rows;
    const started = performance.now();
    const rows = sqlite.prepare(query.sql).all(query.parameters) as R[];
    reportQuery((performance.now() - started) / 1000, query.sql);
    return rows;
  }

  // ---- accounts -------------------------------------------------------------------------------

  async insertAccount(row: NewAccount): Promise<number> {
    return mapErrors('account', async () => {
      const r = await this.db.insertInto('accounts').values(row).returning('id').executeTakeFirstOrThrow();
      return Number(r.id);
    });
  }

  /** Any change to an account drops what every instance verified for it (credentials, state or profile). */
  async updateAccount(id: number, patch: AccountPatch): Promise<void> {
    await this.transaction(async (tx) => {
      await mapErrors('account', () => tx.db.updateTable('accounts').set(patch).where('id', '=', id).execute());
      await tx.revoked([`account:${id}`]);
    });
  }

  async accountById(id: number): Promise<AccountRow | undefined> {
    return (await this.hotRows(this.hot.accountById.bind(id)))[0] as AccountRow | undefined;
  }

  async accountByEmailKey(emailKey: string): Promise<AccountRow | undefined> {
    // PostgreSQL text cannot hold NUL (the query would fail), and no stored key has one: emails are validated.
    if (emailKey.includes('\u0000')) return undefined;
    return (await this.hotRows(this.hot.accountByEmailKey.bind(emailKey)))[0] as AccountRow | undefined;
  }

  async accountByApiTokenDigest(digests: string[]): Promise<AccountRow | undefined> {
    if (digests.length === 0) return undefined;
    if (digests.length === 1) return (await this.hotRows(this.hot.accountByApiToken.bind(digests[0])))[0] as AccountRow | undefined;
    return (await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('api_token_digest', 'in', digests)
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
    return (await this.hotRows(this.hot.sessionByDigest.bind(digest)))[0] as SessionRow | undefined;
  }

  /** Records use of a session, at most once per `notBefore` window (no write per request). */
  async touchSession(id: number, now: number, notBefore: number): Promise<void> {
    await this.db.executeQuery(this.hot.touchSession.bind(now, id, notBefore));
  }

  async revokeSession(id: number, now: number): Promise<boolean> {
    return this.transaction(async (tx) => {
      const r = await tx.db
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      await tx.revoked([`session:${id}`]);
      return Number(r.numUpdatedRows) > 0;
    });
  }

  /** Revokes every live session of an account (of `kinds` when given), except `keepId` when given; returns how many died. */
  async revokeSessionsOf(accountId: number, now: number, keepId?: number, kinds?: readonly string[]): Promise<number> {
    return this.transaction(async (tx) => {
      let q = tx.db.updateTable('sessions').set({ revoked_at: now }).where('account_id', '=', accountId).where('revoked_at', 'is', null);
      if (keepId !== undefined) q = q.where('id', '!=', keepId);
      if (kinds !== undefined) q = q.where('kind', 'in', [...kinds]);
      const r = await q.executeTakeFirst();
      await tx.revoked([`account:${accountId}`]);
      return Number(r.numUpdatedRows);
    });
  }

  /** How many sessions rows an account has, live or dead (tests and operators watch row growth). */
  async sessionCount(accountId: number): Promise<number> {
    const r = await this.db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
    return Number(r.n);
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

  /** Deletes what can no longer be used: sessions dead for a day, expired codes, stale throttle rows. */
  async purgeExpired(now: number): Promise<void> {
    const day = 86_400_000;
    const dead = this.db.selectFrom('sessions').select('id').where((eb) => eb.or([eb('expires_at', '<', now - day), eb('revoked_at', '<', now - day)]));
    await this.db.deleteFrom('company_sessions').where('session_id', 'in', dead).execute();
    await this.db.deleteFrom('sessions').where((eb) => eb.or([eb('expires_at', '<', now - day), eb('revoked_at', '<', now - day)])).execute();
    await this.db.deleteFrom('reset_codes').where('expires_at', '<', now - day).execute();
    // Every process reads the feed at least once a second; an hour is plenty.
    await this.db.deleteFrom('revocations').where('at', '<', Date.now() - 3_600_000).execute();
    await this.db
      .deleteFrom('login_throttle')
      .where('window_started_at', '<', now - day)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .execute();
  }

  /** Deletes audit rows recorded before `before` (AUDIT_RETENTION_DAYS); returns how many. */
  async purgeAudit(before: number): Promise<number> {
    const r = await this.db.deleteFrom('audit_log').where('at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
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
  /**
   * Counts a failure under `key` (window and lock as below). With `announceLock`, a count that leaves the key
   * locked is announced as the revocation `throttle:<key>` in the same transaction: memory that knew the key
   * clear (the Basic email:password cache, see core/throttle.ts) forgets it in every process.
   */
  async recordFailure(
    key: string,
    now: number,
    windowMs: number,
    maxFailures: number,
    lockMs: number,
    options: { announceLock?: boolean } = {},
  ): Promise<{ failures: number; lockedUntil: number | null }> {
    if (options.announceLock === true) {
      return this.transaction(async (tx) => {
        const r = await tx.recordFailure(key, now, windowMs, maxFailures, lockMs);
        if (r.lockedUntil !== null) await tx.revoked([`throttle:${key}`]);
        return r;
      });
    }
    const q = this.hot.recordFailure.bind({ key, now, staleBefore: now - windowMs, firstLock: maxFailures <= 1 ? now + lockMs : null, max: maxFailures, lockUntil: now + lockMs });
    const r = (await this.db.executeQuery(q)).rows[0];
    if (r === undefined) throw new Error('the throttle upsert returned no row');
    return { failures: Number(r.failures), lockedUntil: r.locked_until === null ? null : Number(r.locked_until) };
  }

  /** The latest lock of two throttle keys (an email's and an address's) in one round trip; null when neither is locked. */
  async lockedUntil(a: string, b: string): Promise<number | null> {
    const row = (await this.hotRows(this.hot.lockedUntil.bind(a, b)))[0] as { locked_until: number | string | null } | undefined;
    return row?.locked_until == null ? null : Number(row.locked_until);
  }

  async clearThrottle(key: string): Promise<void> {
    await this.db.executeQuery(this.hot.clearThrottle.bind(key));
  }

  // ---- audit log ------------------------------------------------------------------------------

  async appendAudit(row: Omit<Database['audit_log'], 'id'>): Promise<void> {
    await this.db.executeQuery(this.hot.appendAudit.bind(row));
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
    return (await this.hotRows(this.hot.companyById.bind(id)))[0] as CompanyRow | undefined;
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
    await this.transaction(async (tx) => {
      await tx.db.updateTable('administrators').set({ name: '' }).where('account_id', '=', accountId).execute();
      await tx.db.updateTable('members').set({ first_name: '', last_name: '' }).where('account_id', '=', accountId).execute();
      await tx.revoked([`account:${accountId}`]);
    });
  }

  // ---- applications (BookingBug) --------------------------------------------------------------

  async insertApplication(row: Omit<ApplicationRow, 'id'>): Promise<number> {
    return mapErrors('application', async () => {
      const r = await this.db.insertInto('applications').values(row).returning('id').executeTakeFirstOrThrow();
      return Number(r.id);
    });
  }

  async applicationByAppId(appId: string): Promise<ApplicationRow | undefined> {
    return (await this.hotRows(this.hot.applicationByAppId.bind(appId)))[0] as ApplicationRow | undefined;
  }

  async applications(companyId?: number): Promise<ApplicationRow[]> {
    let q = this.db.selectFrom('applications').selectAll();
    if (companyId !== undefined) q = q.where('company_id', '=', companyId);
    return (await q.orderBy('id').execute()) as ApplicationRow[];
  }

  async revokeApplication(appId: string, now: number): Promise<boolean> {
    return this.transaction(async (tx) => {
      const r = await tx.db.updateTable('applications').set({ revoked_at: now }).where('app_id', '=', appId).where('revoked_at', 'is', null).executeTakeFirst();
      await tx.revoked([`app:${appId}`]);
      return Number(r.numUpdatedRows) > 0;
    });
  }

  // ---- company sessions (BookingBug Auth-Tokens) ----------------------------------------------

  async insertCompanySession(row: CompanySessionRow): Promise<void> {
    await this.db.insertInto('company_sessions').values(row).execute();
  }

  async companySession(sessionId: number): Promise<CompanySessionRow | undefined> {
    return (await this.hotRows(this.hot.companySession.bind(sessionId)))[0] as CompanySessionRow | undefined;
  }

  async moveCompanySession(sessionId: number, companyId: number): Promise<void> {
    await this.transaction(async (tx) => {
      await tx.db.updateTable('company_sessions').set({ company_id: companyId }).where('session_id', '=', sessionId).execute();
      await tx.revoked([`session:${sessionId}`]);
    });
  }

  // ---- mail outbox ----------------------------------------------------------------------------

  async enqueueMail(payloadEnc: string, now: number): Promise<void> {
    await this.db
      .insertInto('mail_outbox')
      .values({ created_at: now, payload_enc: payloadEnc, attempts: 0, next_attempt_at: now, locked_until: null, last_error: null, retry_since: now, dead_at: null })
      .execute();
  }

  /** Claims up to `limit` due live mails for this process for `leaseMs`; another process skips them meanwhile. */
  /**
   * Leases due outbox rows. `sealedPrefixes` (each key id with its dot) limits the claim to rows sealed under
   * keys this instance holds, so an instance with other secrets never takes (and delays) another's mail.
   */
  async claimMail(now: number, limit: number, leaseMs: number, sealedPrefixes: readonly string[]): Promise<Array<{ id: number; payload_enc: string; attempts: number; retry_since: number }>> {
    const width = sealedPrefixes[0]?.length ?? 0;
    const due = await this.db
      .selectFrom('mail_outbox')
      .select(['id', 'payload_enc', 'attempts', 'created_at', 'retry_since'])
      .where('dead_at', 'is', null)
      .where((eb) => eb(eb.fn<string>('substr', ['payload_enc', sql.lit(1), sql.lit(width)]), 'in', [...sealedPrefixes]))
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .orderBy('id')
      .limit(limit)
      .execute();
    const claimed: Array<{ id: number; payload_enc: string; attempts: number; retry_since: number }> = [];
    for (const m of due) {
      const r = await this.db
        .updateTable('mail_outbox')
        .set({ locked_until: now + leaseMs })
        .where('id', '=', m.id)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) {
        claimed.push({ id: Number(m.id), payload_enc: m.payload_enc, attempts: Number(m.attempts), retry_since: Number(m.retry_since ?? m.created_at) });
      }
    }
    return claimed;
  }

  async mailSent(id: number): Promise<void> {
    await this.db.deleteFrom('mail_outbox').where('id', '=', id).execute();
  }

  /** Replaces a queued item's payload (a job that became the mail it decided to send). */
  async replaceMailPayload(id: number, payloadEnc: string): Promise<void> {
    await this.db.updateTable('mail_outbox').set({ payload_enc: payloadEnc }).where('id', '=', id).execute();
  }

  async mailFailed(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.db
      .updateTable('mail_outbox')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: nextAttemptAt, locked_until: null, last_error: error.slice(0, 500) }))
      .where('id', '=', id)
      .execute();
  }

  /** Gives a claimed mail back without counting an attempt (this instance cannot read it). */
  async mailReleased(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.db.updateTable('mail_outbox').set({ next_attempt_at: nextAttemptAt, locked_until: null, last_error: error }).where('id', '=', id).execute();
  }

  /** The retry window ran out: the mail stays, marked dead with its last error, until an operator retries it. */
  async mailDead(id: number, now: number, error: string): Promise<void> {
    await this.db
      .updateTable('mail_outbox')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), dead_at: now, locked_until: null, last_error: error.slice(0, 500) }))
      .where('id', '=', id)
      .execute();
  }

  /** Every queued mail without its payload, oldest first (for the operator's `mail status`). */
  async mailQueue(): Promise<Array<{ id: number; created_at: number; attempts: number; next_attempt_at: number; last_error: string | null; dead_at: number | null }>> {
    const rows = await this.db
      .selectFrom('mail_outbox')
      .select(['id', 'created_at', 'attempts', 'next_attempt_at', 'last_error', 'dead_at'])
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      created_at: Number(r.created_at),
      attempts: Number(r.attempts),
      next_attempt_at: Number(r.next_attempt_at),
      last_error: r.last_error,
      dead_at: r.dead_at === null ? null : Number(r.dead_at),
    }));
  }

  /** Makes mail due now with a new retry window: one by id, or every dead one. Returns how many. */
  async retryMail(target: { id: number } | { allDead: true }, now: number): Promise<number> {
    let q = this.db.updateTable('mail_outbox').set({ dead_at: null, attempts: 0, next_attempt_at: now, locked_until: null, retry_since: now });
    q = 'id' in target ? q.where('id', '=', target.id) : q.where('dead_at', 'is not', null);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Outbox rows by state: never tried, failed and waiting for a retry, dead (past the retry window). */
  async outboxCounts(): Promise<{ pending: number; retrying: number; dead: number }> {
    const r = await this.db
      .selectFrom('mail_outbox')
      .select((eb) => [
        eb.fn.sum<number>(eb.case().when(eb.and([eb('attempts', '=', 0), eb('dead_at', 'is', null)])).then(1).else(0).end()).as('pending'),
        eb.fn.sum<number>(eb.case().when(eb.and([eb('attempts', '>', 0), eb('dead_at', 'is', null)])).then(1).else(0).end()).as('retrying'),
        eb.fn.sum<number>(eb.case().when('dead_at', 'is not', null).then(1).else(0).end()).as('dead'),
      ])
      .executeTakeFirstOrThrow();
    return { pending: Number(r.pending ?? 0), retrying: Number(r.retrying ?? 0), dead: Number(r.dead ?? 0) };
  }

  // ---- operator listings (gatehouse company list, account list/show, audit) ------------------------

  async listCompanies(): Promise<CompanyRow[]> {
    return this.db.selectFrom('companies').selectAll().orderBy('id').execute();
  }

  /**
   * Accounts by id, at most `limit`: with `companyId`, those with an administrator or member record there;
   * with `query`, those whose email or name contains it (case-insensitive).
   */
  async listAccounts(filter: { companyId?: number | undefined; query?: string | undefined; limit: number }): Promise<AccountRow[]> {
    let q = this.db.selectFrom('accounts').selectAll();
    const companyId = filter.companyId;
    if (companyId !== undefined) {
      q = q.where((eb) =>
        eb.or([
          eb('id', 'in', eb.selectFrom('administrators').select('account_id').where('company_id', '=', companyId)),
          eb('id', 'in', eb.selectFrom('members').select('account_id').where('company_id', '=', companyId)),
        ]),
      );
    }
    if (filter.query !== undefined && filter.query !== '') {
      const pattern = `%${filter.query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where((eb) =>
        eb.or([sql<boolean>`lower(coalesce(${eb.ref('email')}, '')) like ${pattern} escape '\\'`, sql<boolean>`lower(${eb.ref('fullname')}) like ${pattern} escape '\\'`]),
      );
    }
    return (await q.orderBy('id').limit(filter.limit).execute()) as AccountRow[];
  }

  /** Audit rows after `afterId` matching the filter, oldest first, at most `limit` (page through by id). */
  async auditPage(
    filter: { accountId?: number | undefined; since?: number | undefined; until?: number | undefined; event?: string | undefined },
    afterId: number,
    limit: number,
  ): Promise<Array<Selectable<Database['audit_log']>>> {
    let q = this.db.selectFrom('audit_log').selectAll().where('id', '>', afterId);
    if (filter.accountId !== undefined) q = q.where('account_id', '=', filter.accountId);
    if (filter.since !== undefined) q = q.where('at', '>=', filter.since);
    if (filter.until !== undefined) q = q.where('at', '<', filter.until);
    if (filter.event !== undefined) q = q.where('event', '=', filter.event);
    return q.orderBy('id').limit(limit).execute();
  }

  async pendingMailCount(): Promise<number> {
    const r = await this.db.selectFrom('mail_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}

/** Where a store's data lives, for the revocation feed (revocation-feed.ts). */
export interface StoreSource {
  sqlite?: BetterSqlite3.Database | undefined;
  postgresUrl?: string | undefined;
}

export function createStore(db: Kysely<Database>, dialect: Dialect, source: StoreSource = {}): Store {
  const store = new Store(db, dialect, db, newShared(hotQueries(db)));
  store.source = source;
  return store;
}
