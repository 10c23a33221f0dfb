// Toggl Track API v9 (/api/v9): flat JSON bodies, errors as JSON strings (spec/toggl.md §2).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { requestContext } from '../context.js';
import { principal, type Authenticated } from './authenticate.js';
import { ACCOUNTS_COOKIE, API_COOKIE, clearAllCookies, clearCookie, setAccountsCookie } from './cookies.js';
import { MeQuery, ProfileBody, profilePatch } from './schemas.js';
import { ApiToken, EmptyObject, SessionUserV9, UserV9, WorkspacesV9 } from './responses.js';
import { userV9, workspaceV9 } from './views.js';
import { renderedFor, variantOf } from '../rendered.js';
import { JSON_UTF8 } from '../json.js';

const SessionBody = Type.Union([Type.Object({ remember_me: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), Type.Null()], { examples: [{ remember_me: true }] });
type SessionBody = Static<typeof SessionBody>;

export async function v9Routes(app: FastifyInstance, core: Core): Promise<void> {
  // Read per request: with PORT=0 the public URL is known only once the server listens.
  const publicUrl = () => core.config.publicUrl;

  const variant = variantOf('v9');
  const withWorkspaces = async (p: Authenticated) => userV9(core.accounts.profile(p), publicUrl(), await core.accounts.workspaces(p.account.id));
  // Not an async handler: the usual answer is returned without a promise (issue 9); only the workspaces are awaited.
  app.get<{ Querystring: MeQuery }>('/me', { config: { auth: 'any' }, schema: { summary: 'The signed-in user (with `with_related_data=true` also the workspaces)', querystring: MeQuery, response: { 200: UserV9 } } }, (req, reply) => {
    const p = principal(req);
    if (req.query.with_related_data === 'true') return withWorkspaces(p);
    // The answer's JSON, serialised by this route's schema once per cached account row.
    const url = publicUrl();
    reply.type(JSON_UTF8);
    return renderedFor(p.account, variant(url), () => reply.serialize(userV9(core.accounts.profile(p), url)));
  });

  app.put<{ Body: ProfileBody }>('/me', { config: { auth: 'any' }, schema: { summary: 'Change the profile, email or password (`current_password` required for the last two)', body: ProfileBody, response: { 200: UserV9 } } }, async (req) => {
    const p = principal(req);
    const updated = await core.accounts.updateProfile(p, profilePatch(req.body), requestContext(req));
    return userV9(core.accounts.profile(updated), publicUrl());
  });

  app.post('/me/reset_token', { config: { auth: 'any' }, schema: { summary: 'Replace the API token', response: { 200: ApiToken } } }, async (req, reply) => {
    const p = principal(req);
    const token = await core.accounts.resetApiToken(p, requestContext(req));
    return reply.type(JSON_UTF8).send(JSON.stringify(token));
  });

  app.get('/me/logged', { config: { auth: 'any' }, schema: { summary: 'Whether the credentials are valid', response: { 200: EmptyObject } } }, async () => {
    return {};
  });

  app.post<{ Body: SessionBody }>('/me/sessions', { config: { auth: 'basic' }, schema: { summary: 'Open an accounts session (sets the accounts cookie)', body: SessionBody, response: { 200: SessionUserV9 } } }, async (req, reply) => {
    const p = principal(req);
    const remember = req.body?.remember_me === true;
    const s = await core.accounts.openSession(p.account.id, 'accounts', remember, core.store, requestContext(req));
    setAccountsCookie(reply, core.config, await core.sessions.sign(s.token, p.account.public_id, s.expiresAt), remember ? s.maxAge : undefined);
    const u = core.accounts.profile(p);
    return { api_token: u.apiToken, email: u.email, fullname: u.fullname, id: u.id, timezone: u.timezone };
  });

  app.delete('/me/sessions', { config: { auth: 'cookie' }, schema: { summary: 'End the session of the cookie sent', response: { 200: EmptyObject } } }, async (req, reply) => {
    const p = principal(req);
    await core.accounts.endSession(p, requestContext(req));
    clearCookie(reply, core.config, p.via === 'api-cookie' ? API_COOKIE : ACCOUNTS_COOKIE);
    return {};
  });

  app.post('/me/close_account', { config: { auth: 'any' }, schema: { summary: 'Close the account (every credential dies)', response: { 200: EmptyObject } } }, async (req, reply) => {
    const p = principal(req);
    await core.accounts.close(p, requestContext(req));
    clearAllCookies(reply, core.config);
    return {};
  });

  app.get('/me/workspaces', { config: { auth: 'any' }, schema: { summary: 'The user’s workspaces', response: { 200: WorkspacesV9 } } }, async (req) => {
    const p = principal(req);
    return (await core.accounts.workspaces(p.account.id)).map(workspaceV9);
  });
}
