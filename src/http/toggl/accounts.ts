// The Toggl accounts service (/api): sessions, sign-up, account closing and password reset
// (spec/toggl.md §4). Its cookie, `__Secure-accounts-session`, authenticates every v9 and v8 route too.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../core/auth.js';
import type { Core } from '../../core/index.js';
import type { IssuedSession } from '../../core/sessions.js';
import { requestContext } from '../context.js';
import { authenticate, principal } from './authenticate.js';
import { ACCOUNTS_COOKIE, API_COOKIE, clearAllCookies, clearCookie, setAccountsCookie } from './cookies.js';
import { ERRORS } from './errors.js';
import { EmptyObject, Message, SessionAlive, UserAccounts } from './responses.js';
import { userAccounts } from './views.js';

const LoginBody = Type.Union([
  Type.Object(
    {
      email: Type.Optional(Type.String({ maxLength: 1024 })),
      password: Type.Optional(Type.String({ maxLength: 1024 })),
      remember_me: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
], { examples: [{ email: 'ada@example.com', password: 'correct-horse-battery-staple', remember_me: true }] });
type LoginBody = Static<typeof LoginBody>;

const SignupBody = Type.Object(
  {
    email: Type.String({ maxLength: 1024 }),
    password: Type.String({ maxLength: 1024 }),
    display_name: Type.Optional(Type.String({ maxLength: 1024 })),
    tos_accepted_for: Type.Optional(Type.String({ maxLength: 64 })),
    remember_me: Type.Optional(Type.Boolean()),
    timezone: Type.Optional(Type.String({ maxLength: 128 })),
    country_id: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  },
  { additionalProperties: false, examples: [{ email: 'ada@example.com', password: 'correct-horse-battery-staple', display_name: 'Ada Lovelace', timezone: 'Europe/London' }] },
);
type SignupBody = Static<typeof SignupBody>;

const ResetRequestBody = Type.Object({ email: Type.String({ maxLength: 1024 }) }, { additionalProperties: false, examples: [{ email: 'ada@example.com' }] });
type ResetRequestBody = Static<typeof ResetRequestBody>;

const ResetParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 64 }) });
type ResetParams = Static<typeof ResetParams>;
const ResetBody = Type.Object({ password: Type.String({ maxLength: 1024 }) }, { additionalProperties: false, examples: [{ password: 'a-new-long-passphrase' }] });
type ResetBody = Static<typeof ResetBody>;

export async function accountsRoutes(app: FastifyInstance, core: Core): Promise<void> {
  async function startSession(req: FastifyRequest, reply: FastifyReply, p: Principal, remember: boolean, issued?: IssuedSession): Promise<void> {
    const s = issued ?? (await core.accounts.openSession(p.account.id, 'accounts', remember, core.store, requestContext(req)));
    setAccountsCookie(reply, core.config, await core.sessions.sign(s.token, p.account.public_id, s.expiresAt), remember ? s.maxAge : undefined);
  }

  app.post<{ Body: LoginBody }>('/sessions', { schema: { summary: 'Sign in with email and password in the body, or Basic (sets the accounts cookie)', body: LoginBody, response: { 200: UserAccounts } } }, async (req, reply) => {
    const body = req.body ?? {};
    let p: Principal;
    if (body.email !== undefined || body.password !== undefined) {
      if (!body.email || !body.password) throw ERRORS.badCredentials();
      p = await core.auth.password(body.email, body.password, requestContext(req), { cache: false });
    } else {
      p = await authenticate(core, req, 'basic', { method: req.method, generation: 'accounts' });
    }
    await startSession(req, reply, p, body.remember_me === true);
    return userAccounts(core.accounts.profile(p));
  });

  app.get('/sessions', { config: { auth: 'cookie' }, schema: { summary: 'Whether the session cookie is alive', response: { 200: SessionAlive } } }, async () => {
    return { success: true };
  });

  app.delete('/sessions', { config: { auth: 'any' }, schema: { summary: 'Sign out: end the session of the cookie sent', response: { 200: EmptyObject } } }, async (req, reply) => {
    const p = principal(req);
    await core.accounts.endSession(p, requestContext(req));
    clearCookie(reply, core.config, p.via === 'api-cookie' ? API_COOKIE : ACCOUNTS_COOKIE);
    return {};
  });

  app.post<{ Body: SignupBody }>('/signup', { schema: { summary: 'Sign up (sets the accounts cookie)', body: SignupBody, response: { 201: UserAccounts } } }, async (req, reply) => {
    const b = req.body;
    const p = await core.accounts.signup({ email: b.email, password: b.password, fullname: b.display_name, timezone: b.timezone }, requestContext(req));
    await startSession(req, reply, p, b.remember_me === true);
    return reply.code(201).send(userAccounts(core.accounts.profile(p)));
  });

  app.post('/close_account', { config: { auth: 'cookie' }, schema: { summary: 'Close the account (every credential dies)', response: { 200: EmptyObject } } }, async (req, reply) => {
    const p = principal(req);
    await core.accounts.close(p, requestContext(req));
    clearAllCookies(reply, core.config);
    return {};
  });

  app.post<{ Body: ResetRequestBody }>('/password_reset', { schema: { summary: 'Mail a password reset code (the same answer whether or not the email is known)', body: ResetRequestBody, response: { 200: Message } } }, async (req) => {
    const linkBase = core.config.publicUrlConfigured ? `${core.config.publicUrl}/reset-password/` : undefined;
    await core.resets.request(req.body.email, requestContext(req), { linkBase });
    return { message: 'If the address belongs to an account, a password reset code has been sent to it.' };
  });

  app.post<{ Params: ResetParams; Body: ResetBody }>('/password_reset/:code', { schema: { summary: 'Choose a new password with a mailed code (signs in: sets the accounts cookie)', params: ResetParams, body: ResetBody, response: { 200: UserAccounts } } }, async (req, reply) => {
    const { principal, session } = await core.resets.complete(req.params.code, req.body.password, 'accounts', requestContext(req));
    await startSession(req, reply, principal, false, session);
    return userAccounts(core.accounts.profile(principal));
  });
}
