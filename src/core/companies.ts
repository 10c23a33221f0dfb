// Companies (a tree of any depth), their administrators (one record per company and person, with a role)
// and members (customers), all tied to the shared account identity: one person, one password.
import type { AdministratorView, CompanyRow, MemberView, Store } from '../store/store.js';
import { UniqueViolation } from '../store/store.js';
import type { Accounts } from './accounts.js';
import type { RequestContext } from './context.js';
import type { CoreDeps } from './deps.js';
import { CoreError, invalidInput, type FieldProblem } from './errors.js';
import { isOpen } from './lifecycle.js';
import { emailKey, validEmail, validFullname, wellFormed } from './validate.js';

export const ROLES = ['owner', 'admin', 'user', 'callcentre'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export interface PersonInput {
  companyId: number;
  email: string;
  /** Required for a new account; for an existing one it may be left out, and must match when given. */
  password?: string | undefined;
}

export interface AdministratorInput extends PersonInput {
  name: string;
  role: Role;
}

export interface MemberInput extends PersonInput {
  firstName: string;
  lastName: string;
}

export const companyNotFound = () => new CoreError('company_not_found', 'Company not found');
export const forbidden = () => new CoreError('forbidden', 'Forbidden');

function validName(name: string): boolean {
  return validFullname(name) && wellFormed(name);
}

export class Companies {
  constructor(
    private readonly d: CoreDeps,
    private readonly accounts: Accounts,
  ) {}

  async create(name: string, parentId: number | undefined, ctx: RequestContext): Promise<CompanyRow> {
    const { store, clock, audit } = this.d;
    if (!validName(name)) throw invalidInput([{ field: 'name', message: 'Invalid name' }]);
    return store.transaction(async (tx) => {
      if (parentId !== undefined && !(await tx.companyById(parentId))) throw companyNotFound();
      const row = { name: name.trim(), parent_id: parentId ?? null, created_at: clock.now() };
      const id = await tx.insertCompany(row);
      await audit.record(tx, 'company.create', null, ctx, { company: id });
      return { id, ...row };
    });
  }

  async byId(id: number): Promise<CompanyRow | undefined> {
    if (!Number.isSafeInteger(id) || id <= 0) return undefined;
    return this.d.store.companyById(id);
  }

  /** The ids from a company up to its root, the company first (empty when it does not exist). */
  async chain(id: number, store: Store = this.d.store): Promise<number[]> {
    if (!Number.isSafeInteger(id) || id <= 0) return [];
    return store.companyChain(id);
  }

  /** True when `companyId` is `rootId` or one of its descendants. */
  async within(companyId: number, rootId: number): Promise<boolean> {
    return (await this.chain(companyId)).includes(rootId);
  }

  /** The company `companyId`, which must be `rootId` or one of its descendants: throws 404 unknown, 403 outside. */
  async inTree(companyId: number, rootId: number): Promise<CompanyRow> {
    const company = await this.byId(companyId);
    if (!company) throw companyNotFound();
    if (!(await this.within(company.id, rootId))) throw forbidden();
    return company;
  }

  /** Administrators who may act in a company: its own and those of its ancestors. */
  async administratorsFor(companyId: number): Promise<AdministratorView[]> {
    return this.d.store.administratorsOfCompanies(await this.chain(companyId));
  }

  /** An administrator who may act in `companyId`, by id. */
  async administratorFor(companyId: number, administratorId: number): Promise<AdministratorView | undefined> {
    if (!Number.isSafeInteger(administratorId) || administratorId <= 0) return undefined;
    const admin = await this.d.store.administratorById(administratorId);
    if (!admin || !(await this.chain(companyId)).includes(admin.company_id)) return undefined;
    return admin;
  }

  async member(companyId: number, memberId: number): Promise<MemberView | undefined> {
    if (!Number.isSafeInteger(memberId) || memberId <= 0) return undefined;
    const member = await this.d.store.memberById(memberId);
    return member && member.company_id === companyId ? member : undefined;
  }

  async addAdministrator(input: AdministratorInput, ctx: RequestContext): Promise<AdministratorView> {
    const problems: FieldProblem[] = [];
    if (!validName(input.name)) problems.push({ field: 'name', message: 'Invalid name' });
    if (!isRole(input.role)) problems.push({ field: 'role', message: `Invalid role (one of ${ROLES.join(', ')})` });
    if (problems.length > 0) throw invalidInput(problems);
    const id = await this.attach(input, 'administrator', ctx, (tx, accountId, now) =>
      tx.insertAdministrator({ company_id: input.companyId, account_id: accountId, name: input.name.trim(), role: input.role, created_at: now }),
    );
    const view = await this.d.store.administratorById(id);
    if (!view) throw new Error('administrator vanished after insert');
    return view;
  }

  async addMember(input: MemberInput, ctx: RequestContext): Promise<MemberView> {
    const problems: FieldProblem[] = [];
    if (!validName(input.firstName)) problems.push({ field: 'first_name', message: 'Invalid first name' });
    if (!validName(input.lastName)) problems.push({ field: 'last_name', message: 'Invalid last name' });
    if (problems.length > 0) throw invalidInput(problems);
    const id = await this.attach(input, 'member', ctx, (tx, accountId, now) =>
      tx.insertMember({ company_id: input.companyId, account_id: accountId, first_name: input.firstName.trim(), last_name: input.lastName.trim(), created_at: now }),
    );
    const view = await this.d.store.memberById(id);
    if (!view) throw new Error('member vanished after insert');
    return view;
  }

  /**
   * Ties a new administrator or member record to the account of `email`: an existing open account (whose
   * password must match when one is given), or a new one signed up in the same transaction.
   */
  private async attach(
    input: PersonInput,
    what: 'administrator' | 'member',
    ctx: RequestContext,
    insert: (tx: Store, accountId: number, now: number) => Promise<number>,
  ): Promise<number> {
    const { store, hasher, clock, audit } = this.d;
    if (!validEmail(input.email)) throw invalidInput([{ field: 'email', message: 'Invalid email' }]);
    if (!(await this.byId(input.companyId))) throw companyNotFound();
    const existing = await store.accountByEmailKey(emailKey(input.email));
    if (isOpen(existing)) {
      if (input.password !== undefined) {
        const ok = existing.password_hash !== null && (await hasher.verify(existing.password_hash, input.password));
        if (!ok) throw invalidInput([{ field: 'password', message: 'The email already has an account and the password does not match it (leave the password out to attach)' }]);
      }
    } else if (input.password === undefined) {
      throw invalidInput([{ field: 'password', message: 'A password is required for a new account' }]);
    }
    try {
      return await store.transaction(async (tx) => {
        const accountId = existing ? existing.id : (await this.accounts.signup({ email: input.email, password: input.password ?? '' }, ctx, tx)).account.id;
        const id = await insert(tx, accountId, clock.now());
        await audit.record(tx, what === 'administrator' ? 'administrator.create' : 'member.create', accountId, ctx, { company: input.companyId, id });
        return id;
      });
    } catch (err) {
      if (err instanceof UniqueViolation) throw invalidInput([{ field: 'email', message: `This account is already ${what === 'administrator' ? 'an' : 'a'} ${what} of company ${input.companyId}` }]);
      throw err;
    }
  }
}
