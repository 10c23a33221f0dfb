// The BookingBug login routes (spec bookingbug.md §3): password logins into a company of the application's
// tree as administrator or member, the re-rendered session, switching company, and logout.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LoginResult, LoginScope } from '../../core/company-sessions.js';
import type { Core } from '../../core/index.js';
import { requestContext } from '../context.js';
import { application, session, tokenOf } from './credentials.js';
import { apiBase, chooseCompany, loginResource } from './hal.js';
import { ChooseCompany, LoginResource, Message } from './responses.js';
import {
  AdminLoginBody,
  CompanyLoginBody,
  CompanyParams,
  LoginBody,
  SwitchCompanyBody,
  toId,
} from './schemas.js';

/** A password login's answers: the login resource, or (400) the companies to choose from. */
const LOGIN = (summary: string) => ({ summary, response: { 200: LoginResource, 400: ChooseCompany } });

export async function loginRoutes(app: FastifyInstance, core: Core): Promise<void> {
  const base = () => apiBase(core.config.publicUrl);

  function render(reply: FastifyReply, email: string, result: LoginResult) {
    if (result.kind === 'choose') return reply.code(400).send(chooseCompany(base(), result.account.email ?? email, result.candidates));
    const s = result.session;
    return reply.code(200).send(loginResource(base(), s.account.email ?? email, result.token, s.company, s.persona));
  }

  async function login(req: FastifyRequest, reply: FastifyReply, email: string, password: string, scope: LoginScope) {
    const result = await core.companyLogins.login(application(req), email, password, scope, requestContext(req));
    return render(reply, email, result);
  }

  app.post<{ Body: LoginBody }>('/login', { schema: { ...LOGIN('Log in as administrator or member of the application’s company (or `id`)'), body: LoginBody } }, async (req, reply) => {
    const b = req.body;
    return login(req, reply, b.email, b.password, { as: 'any', companyId: b.id === undefined ? undefined : toId(b.id) });
  });

  app.post<{ Body: AdminLoginBody }>('/login/admin', { schema: { ...LOGIN('Log in as an administrator'), body: AdminLoginBody } }, async (req, reply) => {
    return login(req, reply, req.body.email, req.body.password, { as: 'administrator' });
  });

  app.post<{ Params: CompanyParams; Body: AdminLoginBody }>('/login/admin/:company_id', { schema: { ...LOGIN('Log in as an administrator of a company of the tree'), params: CompanyParams, body: AdminLoginBody } }, async (req, reply) => {
    return login(req, reply, req.body.email, req.body.password, { as: 'administrator', companyId: Number(req.params.company_id) });
  });

  app.post<{ Params: CompanyParams; Body: AdminLoginBody }>('/login/member/:company_id', { schema: { ...LOGIN('Log in as a member of a company'), params: CompanyParams, body: AdminLoginBody } }, async (req, reply) => {
    return login(req, reply, req.body.email, req.body.password, { as: 'member', companyId: Number(req.params.company_id) });
  });

  app.post<{ Params: CompanyParams; Body: CompanyLoginBody }>('/login/:company_id', { schema: { ...LOGIN('Log in to a company (`role: member` for a member)'), params: CompanyParams, body: CompanyLoginBody } }, async (req, reply) => {
    const as = req.body.role === 'member' ? 'member' : 'any';
    return login(req, reply, req.body.email, req.body.password, { as, companyId: Number(req.params.company_id) });
  });

  app.get<{ Params: CompanyParams }>('/login/admin/:company_id', { schema: { summary: 'The session re-rendered in a company the token may act in', params: CompanyParams, response: { 200: LoginResource } }, config: { bb: 'admin' } }, async (req) => {
    const s = session(req);
    const company = await core.companyLogins.actIn(s, Number(req.params.company_id));
    return loginResource(base(), s.account.email ?? '', tokenOf(req), company, s.persona);
  });

  app.put<{ Body: SwitchCompanyBody }>('/login/admin', { schema: { summary: 'Switch the session to another company of the tree', body: SwitchCompanyBody, response: { 200: LoginResource } }, config: { bb: 'admin' } }, async (req) => {
    const moved = await core.companyLogins.switchCompany(application(req), session(req), toId(req.body.company_id), requestContext(req));
    return loginResource(base(), moved.account.email ?? '', tokenOf(req), moved.company, moved.persona);
  });

  for (const path of ['/login', '/logout']) {
    app.delete(path, { schema: { summary: 'Log out: the Auth-Token dies', response: { 200: Message } }, config: { bb: 'session' } }, async (req) => {
      await core.companyLogins.logout(session(req), requestContext(req));
      return { message: 'Logged out' };
    });
  }
}
