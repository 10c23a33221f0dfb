// Password reset for administrators and members (spec bookingbug.md §7): the shared reset-code machinery
// of the core, mailed through the outbox. A request answers the same whether or not the email is known.
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { BOOKINGBUG_AUDIENCE } from '../../core/company-sessions.js';
import { requestContext } from '../context.js';
import { application } from './credentials.js';
import { Message } from './responses.js';
import { CompanyParams, ResetBody, ResetRequestBody } from './schemas.js';

const SENT = { message: 'If the address belongs to an administrator or member, a password reset code has been sent to it.' };
const DONE = { message: 'Password has been reset' };

export async function resetRoutes(app: FastifyInstance, core: Core): Promise<void> {
  // `path` (a client page to link to) is accepted and ignored (ours): a mailed link to a page the request
  // names would hand the code to whoever sent the request. The link goes to our own reset page.
  const linkBase = () => (core.config.publicUrlConfigured ? `${core.config.publicUrl}/reset-password/` : undefined);

  app.post<{ Body: ResetRequestBody }>('/login/admin/reset_password_email', { schema: { summary: 'Mail an administrator a reset code (the same answer whether or not the email is known)', body: ResetRequestBody, response: { 200: Message } } }, async (req) => {
    const a = application(req);
    await core.resets.request(req.body.email, requestContext(req), {
      linkBase: linkBase(),
      audience: { name: BOOKINGBUG_AUDIENCE, data: { appId: a.app_id, as: 'administrator' } },
    });
    return SENT;
  });

  app.post<{ Params: CompanyParams; Body: ResetRequestBody }>(
    '/login/:company_id/email_password_reset',
    { schema: { summary: 'Mail an administrator or member of a company a reset code', params: CompanyParams, body: ResetRequestBody, response: { 200: Message } } },
    async (req) => {
      const a = application(req);
      const company = await core.companyLogins.companyForApp(a, Number(req.params.company_id));
      await core.resets.request(req.body.email, requestContext(req), {
        linkBase: linkBase(),
        audience: { name: BOOKINGBUG_AUDIENCE, data: { appId: a.app_id, as: 'any', companyId: company.id } },
      });
      return SENT;
    },
  );

  app.put<{ Body: ResetBody }>('/login/admin/reset_password', { schema: { summary: 'Choose a new password with a mailed code', body: ResetBody, response: { 200: Message } } }, async (req) => {
    await core.resets.completeWithoutSession(req.body.reset_password_token, req.body.password, requestContext(req));
    return DONE;
  });

  app.put<{ Params: CompanyParams; Body: ResetBody }>('/login/:company_id/reset_password', { schema: { summary: 'Choose a new password with a mailed code (company form)', params: CompanyParams, body: ResetBody, response: { 200: Message } } }, async (req) => {
    await core.companyLogins.companyForApp(application(req), Number(req.params.company_id));
    await core.resets.completeWithoutSession(req.body.reset_password_token, req.body.password, requestContext(req));
    return DONE;
  });
}
