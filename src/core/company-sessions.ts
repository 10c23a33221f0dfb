// BookingBug logins and Auth-Tokens: who may log into which company of an application's tree, and the
// tokens that result. A token is a row of sessions (kind bb-admin or bb-member, 128 random bits, digest
// only) bound to its application, the company it acts in and the administrator or member record; so
// logout, password change, reset and closure kill it through the same paths as every other session.
import type { AccountRow, AdministratorView, ApplicationRow, CompanyRow, CompanySessionRow, MemberView, SessionRow } from '../store/store.js';
import type { Accounts } from './accounts.js';
import type { Authenticator } from './auth.js';
import { forbidden, type Companies } from './companies.js';
import type { RequestContext } from './context.js';
import type { CoreDeps } from './deps.js';
import { invalidCredentials } from './errors.js';
import { noteAuth, type AuthNote } from './metrics.js';
import type { LiveSession, SessionKind } from './sessions.js';

/** An Auth-Token as issued: 16 random bytes, base64url. */
const AUTH_TOKEN = /^[A-Za-z0-9_-]{22}$/;

export const invalidEmailOrPassword = () => invalidCredentials();

/** The reset-mail audience of an application: accounts that could log in through it (data: appId, as, companyId). */
export const BOOKINGBUG_AUDIENCE = 'bookingbug';

/** Which logins a route allows, and into which company (undefined: find it from the account's records). */
export interface LoginScope {
  as: 'any' | 'administrator' | 'member';
  companyId?: number | undefined;
}

export interface AdminCandidate {
  administrator: AdministratorView;
  /** The company the login would act in (the record's, or a descendant it was asked for). */
  company: CompanyRow;
}

export type Persona = { kind: 'administrator'; administrator: AdministratorView } | { kind: 'member'; member: MemberView };

export interface CompanySession {
  session: SessionRow;
  binding: CompanySessionRow;
  account: AccountRow;
  company: CompanyRow;
  persona: Persona;
}

interface Places {
  admins: AdminCandidate[];
  member: MemberView | undefined;
}

export type LoginResult =
  | { kind: 'session'; token: string; session: CompanySession }
  /** Several companies fit and none was named: the client must pick one and log in again. */
  | { kind: 'choose'; account: AccountRow; candidates: AdminCandidate[] };

export class CompanyLogins {
  constructor(
    private readonly d: CoreDeps,
    private readonly companies: Companies,
    private readonly auth: Authenticator,
    private readonly accounts: Accounts,
  ) {}

  /** The company a route names, checked against the application's tree: 404 unknown, 403 outside. */
  async companyForApp(app: ApplicationRow, companyId: number): Promise<CompanyRow> {
    return this.companies.inTree(companyId, app.company_id);
  }

  async login(app: ApplicationRow, email: string, password: string, scope: LoginScope, ctx: RequestContext): Promise<LoginResult> {
    const target = scope.companyId === undefined ? undefined : await this.companyForApp(app, scope.companyId);
    // An account with no place here fails like an unknown email (same work, same count, same answer).
    // One pass (issue 9): the records read for that check are the ones the login then uses.
    let places: Places | undefined;
    const { account } = await this.auth.password(email, password, ctx, {
      cache: false,
      eligible: async (a) => {
        places = await this.places(app, a.id, scope.as, target);
        return places.admins.length > 0 || places.member !== undefined;
      },
    });
    places ??= await this.places(app, account.id, scope.as, target);

    let persona: Persona | undefined;
    let company: CompanyRow | undefined = target;
    if (scope.as !== 'member') {
      const candidates = places.admins;
      if (candidates.length > 1) return { kind: 'choose', account, candidates };
      const only = candidates[0];
      if (only) {
        persona = { kind: 'administrator', administrator: only.administrator };
        company = only.company;
      }
    }
    if (!persona && scope.as !== 'administrator') {
      const member = places.member;
      if (member) {
        persona = { kind: 'member', member };
        company = target ?? (await this.companies.byId(member.company_id));
      }
    }
    // Only when the records changed between the eligibility check and now.
    if (!persona || !company) throw invalidEmailOrPassword();
    return this.open(app, account, company, persona, ctx);
  }

  /** The reset-mail audience check: the application is live and the account could log in through it in the scope. */
  async audienceAccepts(accountId: number, data: Record<string, unknown>): Promise<boolean> {
    if (typeof data.appId !== 'string') return false;
    const app = await this.d.store.applicationByAppId(data.appId);
    if (!app || app.revoked_at !== null) return false;
    const as = data.as === 'administrator' || data.as === 'member' ? data.as : 'any';
    const companyId = typeof data.companyId === 'number' ? data.companyId : undefined;
    return this.mayLogIn(app, accountId, { as, companyId });
  }

  /** The administrator records that could log in (unless only members may), else the member record (unless only administrators may). */
  private async places(app: ApplicationRow, accountId: number, as: LoginScope['as'], target: CompanyRow | undefined): Promise<Places> {
    const admins = as !== 'member' ? await this.adminCandidates(app, accountId, target) : [];
    const member = as !== 'administrator' && admins.length === 0 ? await this.memberCandidate(app, accountId, target) : undefined;
    return { admins, member };
  }

  /** Could this account log in here (in the scope's company, or anywhere in the application's tree)? */
  async mayLogIn(app: ApplicationRow, accountId: number, scope: LoginScope): Promise<boolean> {
    const target = scope.companyId === undefined ? undefined : await this.companies.byId(scope.companyId);
    if (scope.companyId !== undefined && !target) return false;
    if (scope.as !== 'member' && (await this.adminCandidates(app, accountId, target)).length > 0) return true;
    return scope.as !== 'administrator' && (await this.memberCandidate(app, accountId, target)) !== undefined;
  }

  /**
   * Administrator records of the account that can log into the application's tree. With a target company:
   * the nearest record at it or an ancestor. Without: one per company, the record's own when it lies in the
   * application's tree, or the application's company when the record is at one of its ancestors.
   */
  private async adminCandidates(app: ApplicationRow, accountId: number, target: CompanyRow | undefined): Promise<AdminCandidate[]> {
    const records = await this.d.store.administratorsOfAccount(accountId);
    if (records.length === 0) return [];
    if (target) {
      const chain = await this.companies.chain(target.id);
      const nearest = records
        .filter((r) => chain.includes(r.company_id))
        .sort((a, b) => chain.indexOf(a.company_id) - chain.indexOf(b.company_id))[0];
      return nearest ? [{ administrator: nearest, company: target }] : [];
    }
    const appChain = await this.companies.chain(app.company_id);
    const byCompany = new Map<number, AdminCandidate>();
    for (const r of records) {
      let companyId: number | undefined;
      if ((await this.companies.chain(r.company_id)).includes(app.company_id)) companyId = r.company_id;
      else if (appChain.includes(r.company_id)) companyId = app.company_id;
      if (companyId === undefined || byCompany.has(companyId)) continue;
      const company = await this.companies.byId(companyId);
      if (company) byCompany.set(companyId, { administrator: r, company });
    }
    return [...byCompany.values()];
  }

  /** The member record at the target company, or without one the account's first member record in the tree. */
  private async memberCandidate(app: ApplicationRow, accountId: number, target: CompanyRow | undefined): Promise<MemberView | undefined> {
    const records = await this.d.store.membersOfAccount(accountId);
    if (target) return records.find((m) => m.company_id === target.id);
    for (const m of records) if ((await this.companies.chain(m.company_id)).includes(app.company_id)) return m;
    return undefined;
  }

  private async open(app: ApplicationRow, account: AccountRow, company: CompanyRow, persona: Persona, ctx: RequestContext): Promise<LoginResult> {
    const { store, sessions, config } = this.d;
    const kind: SessionKind = persona.kind === 'administrator' ? 'bb-admin' : 'bb-member';
    const { issued, binding } = await store.transaction(async (tx) => {
      const issued = await sessions.create(tx, account.id, kind, config.sessions.authToken, 16, ctx);
      const binding: CompanySessionRow = {
        session_id: issued.id,
        application_id: app.id,
        company_id: company.id,
        administrator_id: persona.kind === 'administrator' ? persona.administrator.id : null,
        member_id: persona.kind === 'member' ? persona.member.id : null,
      };
      await tx.insertCompanySession(binding);
      return { issued, binding };
    });
    // Built from what was just written and read, not read back (issue 9).
    return { kind: 'session', token: issued.token, session: { session: issued.row, binding, account, company, persona } };
  }

  /** The live session of an Auth-Token used with this application; undefined when unknown, dead or another app's. */
  async check(app: ApplicationRow, token: string, note?: AuthNote): Promise<CompanySession | undefined> {
    const found = await this.checkToken(app, token, note);
    if (found) noteAuth(note, 'auth_token', 'ok', 'ok', found.account.public_id);
    else noteAuth(note, 'auth_token', 'bad_credentials', 'unknown_token');
    return found;
  }

  /**
   * The live session of an Auth-Token used with this application when memory alone vouches for it (see
   * checkToken); undefined when memory cannot say (then `check` decides). Issue 9: the hot path.
   */
  checkInMemory(app: ApplicationRow, token: string, note?: AuthNote): CompanySession | undefined {
    if (!AUTH_TOKEN.test(token)) return undefined;
    const live = this.d.sessions.checkInMemory(token, ['bb-admin', 'bb-member']);
    const found = live && this.bindingInMemory(app, live);
    if (found) noteAuth(note, 'auth_token', 'ok', 'ok', found.account.public_id);
    return found;
  }

  /** The binding, company and persona in memory, dropped with the session, its account or its application. */
  private bindingInMemory(app: ApplicationRow, live: LiveSession): CompanySession | undefined {
    const hit = this.d.cache.get<CompanySession>(`bb:${live.session.id}`);
    return hit && hit.binding.application_id === app.id && hit.session === live.session ? hit : undefined;
  }

  private async checkToken(app: ApplicationRow, token: string, note: AuthNote | undefined): Promise<CompanySession | undefined> {
    if (!AUTH_TOKEN.test(token)) return undefined;
    const live = await this.d.sessions.check(this.d.store, token, ['bb-admin', 'bb-member'], note);
    if (!live) return undefined;
    const hit = this.bindingInMemory(app, live);
    if (hit) return hit;
    const key = `bb:${live.session.id}`;
    const generation = this.d.cache.generation;
    const found = await this.lookUp(app, live);
    if (found) this.d.cache.set(key, [`account:${live.account.id}`, `session:${live.session.id}`, `app:${app.app_id}`], found, generation);
    return found;
  }

  private async lookUp(app: ApplicationRow, live: LiveSession): Promise<CompanySession | undefined> {
    const binding = await this.d.store.companySession(live.session.id);
    if (!binding || binding.application_id !== app.id) return undefined;
    const company = await this.companies.byId(binding.company_id);
    if (!company) return undefined;
    if (binding.administrator_id !== null) {
      const administrator = await this.d.store.administratorById(binding.administrator_id);
      if (!administrator || administrator.account_id !== live.account.id) return undefined;
      return { ...live, binding, company, persona: { kind: 'administrator', administrator } };
    }
    if (binding.member_id !== null) {
      const member = await this.d.store.memberById(binding.member_id);
      if (!member || member.account_id !== live.account.id) return undefined;
      return { ...live, binding, company, persona: { kind: 'member', member } };
    }
    return undefined;
  }

  /** May this session act in `companyId`: its own company or a descendant. Throws 404/403 otherwise. */
  async actIn(s: CompanySession, companyId: number): Promise<CompanyRow> {
    return this.actInOwn(s, companyId) ?? this.companies.inTree(companyId, s.company.id);
  }

  /** The usual case of actIn without a promise: the session's own company, read when the token was checked. */
  actInOwn(s: CompanySession, companyId: number): CompanyRow | undefined {
    return companyId === s.company.id ? s.company : undefined;
  }

  /**
   * Moves an administrator session to another company: one the administrator record may act in (its own
   * company or a descendant) that lies in the application's tree. The token stays the same.
   */
  async switchCompany(app: ApplicationRow, s: CompanySession, companyId: number, ctx: RequestContext): Promise<CompanySession> {
    if (s.persona.kind !== 'administrator') throw forbidden();
    const company = await this.companyForApp(app, companyId);
    if (!(await this.companies.within(company.id, s.persona.administrator.company_id))) throw forbidden();
    await this.d.store.transaction(async (tx) => {
      await tx.moveCompanySession(s.session.id, company.id);
      await this.d.audit.record(tx, 'session.switch_company', s.account.id, ctx, { company: company.id });
    });
    return { ...s, company, binding: { ...s.binding, company_id: company.id } };
  }

  async logout(s: CompanySession, ctx: RequestContext): Promise<void> {
    await this.accounts.endSession({ account: s.account, method: 'session', session: s.session }, ctx);
  }
}
