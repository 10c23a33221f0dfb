// The resources a login answer links to (spec bookingbug.md §5): a company, its administrators and one
// administrator (with its edit form) under /admin/{company_id}, and a member under /{company_id}/members.
// The token must act in that company: its own company or a descendant (403 otherwise).
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { session } from './credentials.js';
import { ERRORS } from './errors.js';
import * as hal from './hal.js';
import { apiBase } from './hal.js';
import { AdministratorForm, AdministratorItem, Administrators, Company, MemberItem } from './responses.js';
import { CompanyItemParams, CompanyParams } from './schemas.js';
import { JSON_UTF8 } from '../json.js';
import { renderedFor, variantOf } from '../rendered.js';

export async function adminRoutes(app: FastifyInstance, core: Core): Promise<void> {
  const base = () => apiBase(core.config.publicUrl);
  const companyVariant = variantOf('bb company');

  app.get<{ Params: CompanyParams }>('/admin/:company_id/company', { schema: { summary: 'A company the token may act in (its own or a descendant)', params: CompanyParams, response: { 200: Company } }, config: { bb: 'admin' } }, (req, reply) => {
    // Not an async handler: the token's own company is answered without a promise, its document serialised
    // once per company row (src/http/rendered.ts) by this route's schema (issue 9).
    const s = session(req);
    const companyId = Number(req.params.company_id);
    const own = core.companyLogins.actInOwn(s, companyId);
    if (own === undefined) return core.companyLogins.actIn(s, companyId).then((company) => hal.company(base(), company));
    reply.type(JSON_UTF8);
    return renderedFor(own, companyVariant(core.config.publicUrl), () => reply.serialize(hal.company(base(), own)));
  });

  app.get<{ Params: CompanyParams }>('/admin/:company_id/administrators', { schema: { summary: 'The administrators of a company', params: CompanyParams, response: { 200: Administrators } }, config: { bb: 'admin' } }, async (req) => {
    const company = await core.companyLogins.actIn(session(req), Number(req.params.company_id));
    const admins = await core.companies.administratorsFor(company.id);
    return {
      total_entries: admins.length,
      _embedded: { administrators: admins.map((a) => hal.administrator(base(), a, company.id)) },
      _links: { self: { href: `${base()}/admin/${company.id}/administrators` } },
    };
  });

  app.get<{ Params: CompanyItemParams }>('/admin/:company_id/administrators/:id', { schema: { summary: 'One administrator', params: CompanyItemParams, response: { 200: AdministratorItem } }, config: { bb: 'admin' } }, async (req) => {
    const company = await core.companyLogins.actIn(session(req), Number(req.params.company_id));
    const admin = await core.companies.administratorFor(company.id, Number(req.params.id));
    if (!admin) throw ERRORS.administratorNotFound();
    return hal.administrator(base(), admin, company.id);
  });

  app.get<{ Params: CompanyItemParams }>('/admin/:company_id/administrators/:id/edit', { schema: { summary: 'An administrator’s edit form (read-only)', params: CompanyItemParams, response: { 200: AdministratorForm } }, config: { bb: 'admin' } }, async (req) => {
    const company = await core.companyLogins.actIn(session(req), Number(req.params.company_id));
    const admin = await core.companies.administratorFor(company.id, Number(req.params.id));
    if (!admin) throw ERRORS.administratorNotFound();
    // A read-only form description (ours): administrators are edited by operators, not over this API.
    return {
      form: ['name', 'email', 'role'],
      schema: {
        type: 'object',
        properties: { name: { type: 'string', readonly: true }, email: { type: 'string', readonly: true }, role: { type: 'string', readonly: true } },
      },
      values: { name: admin.name, email: admin.email ?? '', role: admin.role },
      _links: { self: { href: `${base()}/admin/${company.id}/administrators/${admin.id}/edit` } },
    };
  });

  app.get<{ Params: CompanyItemParams }>('/:company_id/members/:id', { schema: { summary: 'A member (a member sees only itself)', params: CompanyItemParams, response: { 200: MemberItem } }, config: { bb: 'session' } }, async (req) => {
    const s = session(req);
    const companyId = Number(req.params.company_id);
    const memberId = Number(req.params.id);
    if (s.persona.kind === 'member') {
      // A member sees only itself.
      if (s.persona.member.id !== memberId || s.persona.member.company_id !== companyId) throw ERRORS.forbidden();
    } else {
      await core.companyLogins.actIn(s, companyId);
    }
    const m = await core.companies.member(companyId, memberId);
    if (!m) throw ERRORS.memberNotFound();
    return hal.member(base(), m);
  });
}
