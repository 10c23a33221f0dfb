// HAL documents of the BookingBug dialect: login resources, administrators, members and companies, with
// absolute hrefs built from the server's public URL. Pure functions of core views; no I/O.
import type { AdminCandidate, Persona } from '../../core/company-sessions.js';
import type { AdministratorView, CompanyRow, MemberView } from '../../store/store.js';

type Link = { href: string; templated?: true };

/** The API base URL (`path` in a login answer): the public URL plus /api/v1. */
export function apiBase(publicUrl: string): string {
  return `${publicUrl}/api/v1`;
}

/** An administrator as embedded in a login answer; its links act in `companyId` (the session's company). */
export function administrator(base: string, a: AdministratorView, companyId: number): Record<string, unknown> {
  const admin = `${base}/admin/${companyId}`;
  return {
    id: a.id,
    name: a.name,
    email: a.email ?? '',
    role: a.role,
    company_id: a.company_id,
    company_name: a.company_name,
    _links: {
      self: { href: `${admin}/administrators/${a.id}` },
      edit: { href: `${admin}/administrators/${a.id}/edit` },
      company: { href: `${admin}/company` },
      login: { href: `${base}/login/admin/${companyId}` },
      base_login: { href: `${base}/login/admin` },
    },
  };
}

export function member(base: string, m: MemberView): Record<string, unknown> {
  return {
    id: m.id,
    first_name: m.first_name,
    last_name: m.last_name,
    name: `${m.first_name} ${m.last_name}`.trim(),
    email: m.email ?? '',
    company_id: m.company_id,
    company_name: m.company_name,
    _links: {
      self: { href: `${base}/${m.company_id}/members/${m.id}` },
      login: { href: `${base}/login/member/${m.company_id}` },
    },
  };
}

export function company(base: string, c: CompanyRow): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    parent_id: c.parent_id,
    _links: {
      self: { href: `${base}/admin/${c.id}/company` },
      administrators: { href: `${base}/admin/${c.id}/administrators` },
    },
  };
}

/** A login resource: the answer to a login, and the re-rendered session. */
export function loginResource(base: string, email: string, token: string, c: CompanyRow, persona: Persona): Record<string, unknown> {
  const links: Record<string, Link> = { self: { href: `${base}/login/${c.id}` } };
  const doc: Record<string, unknown> = { email, auth_token: token, company_id: c.id, path: base };
  if (persona.kind === 'administrator') {
    doc.role = persona.administrator.role;
    doc._embedded = { members: [], administrators: [administrator(base, persona.administrator, c.id)] };
    links.administrator = { href: `${base}/admin/${c.id}/administrators/${persona.administrator.id}`, templated: true };
  } else {
    doc._embedded = { members: [member(base, persona.member)], administrators: [] };
    links.member = { href: `${base}/${c.id}/members/${persona.member.id}`, templated: true };
  }
  doc._links = links;
  return doc;
}

/** The 400 answer when an email administers several companies and named none: one administrator per company. */
export function chooseCompany(base: string, email: string, candidates: AdminCandidate[]): Record<string, unknown> {
  return {
    email,
    path: base,
    _embedded: { members: [], administrators: candidates.map((c) => ({ ...administrator(base, c.administrator, c.company.id), company_id: c.company.id, company_name: c.company.name })) },
    _links: {
      self: { href: `${base}/login/admin` },
      administrators: candidates.map((c) => ({ href: `${base}/login/admin/${c.company.id}`, name: c.company.name })),
    },
  };
}
