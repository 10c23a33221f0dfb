// Toggl API v8 (/api/v8), retired upstream but still spoken by old clients: bodies wrapped in {"data": ...},
// errors as JSON arrays, failed authentication as an empty 403 (spec/toggl.md §3).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticated } from './authenticate.js';
import type { Core } from '../../core/index.js';
import { requestContext } from '../context.js';
import { principal } from './authenticate.js';
import { API_COOKIE, clearCookie, setApiCookie } from './cookies.js';
import { MeQuery, ProfileFields, profilePatch } from './schemas.js';
import { ApiToken, DataV8, EmptyObject, MeV8, UserV8 } from './responses.js';
import { userV8 } from './views.js';
import { renderedFor, variantOf } from '../rendered.js';
import { JSON_UTF8 } from '../json.js';

const PutMeBody = Type.Object({ user: Type.Object(ProfileFields, { additionalProperties: false }) }, { additionalProperties: false, examples: [{ user: { fullname: 'Ada King' } }] });
type PutMeBody = Static<typeof PutMeBody>;

const SignupBody = Type.Object(
  {
    user: Type.Object(
      {
        email: Type.String({ maxLength: 1024 }),
        password: Type.String({ maxLength: 1024 }),
        timezone: Type.Optional(Type.String({ maxLength: 128 })),
        created_with: Type.Optional(Type.String({ maxLength: 256 })),
        fullname: Type.Optional(Type.String({ maxLength: 1024 })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, examples: [{ user: { email: 'ada@example.com', password: 'correct-horse-battery-staple', timezone: 'Europe/London', created_with: 'my-timer' } }] },
);
type SignupBody = Static<typeof SignupBody>;

/** A v8 /me answer of one account row: the user's JSON, and the whole answer of the second `since`. */
interface MeV8View {
  data: string;
  since: number;
  text: string;
}

export async function v8Routes(app: FastifyInstance, core: Core): Promise<void> {
  // Read per request: with PORT=0 the public URL is known only once the server listens.
  const publicUrl = () => core.config.publicUrl;

  /** Old clients log in once with Basic and then send only the cookie: give them one. */
  async function openApiSession(p: Authenticated, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const s = await core.accounts.openSession(p.account.id, 'api', false, core.store, requestContext(req));
    setApiCookie(reply, core.config, s.token, s.maxAge);
  }

  /** The same live session for the same client credential: no sessions row per call (issue 9). */
  async function reuseApiSession(p: Authenticated, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const s = await core.accounts.apiSessionFor(p, req.headers.authorization ?? '', requestContext(req));
    setApiCookie(reply, core.config, s.token, s.maxAge);
  }

  /** The v8 user alone as JSON, by the schema the route's answer uses for it (UserV8 inside MeV8). */
  function serializeUserV8(reply: FastifyReply, user: Record<string, unknown>): string {
    return reply.compileSerializationSchema(UserV8, '200')(user);
  }

  async function meDocument(p: Authenticated, query: MeQuery) {
    const since = query.since === undefined ? 0 : Number(query.since) * 1000;
    const related = query.with_related_data === 'true' ? await core.accounts.workspaces(p.account.id, since) : undefined;
    return { since: Math.floor(core.clock.now() / 1000), data: userV8(core.accounts.profile(p), publicUrl(), related) };
  }

  const variant = variantOf('v8');

  /** The answer of GET /me: its JSON text, or a promise of the document when it needs the workspaces. */
  function me(p: Authenticated, req: FastifyRequest<{ Querystring: MeQuery }>, reply: FastifyReply) {
    if (req.query.with_related_data === 'true') return meDocument(p, req.query);
    // The user's JSON, serialised by this route's schema once per cached account row; only `since` changes,
    // so the whole text is made once per second (the one change ever made to a shared view).
    const url = publicUrl();
    const view = renderedFor<MeV8View>(p.account, variant(url), () => ({ data: serializeUserV8(reply, userV8(core.accounts.profile(p), url)), since: -1, text: '' }));
    const since = Math.floor(core.clock.now() / 1000);
    if (view.since !== since) {
      view.since = since;
      view.text = `{"since":${since},"data":${view.data}}`;
    }
    reply.type(JSON_UTF8);
    return view.text;
  }

  // Not an async handler: the usual answer is returned without a promise (issue 9).
  app.get<{ Querystring: MeQuery }>('/me', { config: { auth: 'any' }, schema: { summary: 'The signed-in user (with Basic, also sets the toggl_api_session_new cookie)', querystring: MeQuery, response: { 200: MeV8 } } }, (req, reply) => {
    const p = principal(req);
    if (p.via === 'basic') {
      // From memory without a promise when it can vouch for the session (the usual repeated call).
      const known = core.accounts.apiSessionInMemory(p);
      if (!known) return reuseApiSession(p, req, reply).then<unknown>(() => me(p, req, reply));
      setApiCookie(reply, core.config, known.token, Math.floor((known.expiresAt - core.clock.now()) / 1000));
    }
    return me(p, req, reply);
  });

  app.put<{ Body: PutMeBody }>('/me', { config: { auth: 'any' }, schema: { summary: 'Change the profile, email or password', body: PutMeBody, response: { 200: DataV8 } } }, async (req) => {
    const p = principal(req);
    const updated = await core.accounts.updateProfile(p, profilePatch(req.body.user), requestContext(req));
    return { data: userV8(core.accounts.profile(updated), publicUrl()) };
  });

  app.post<{ Querystring: MeQuery }>('/sessions', { config: { auth: 'basic' }, schema: { summary: 'Open an API session (sets the toggl_api_session_new cookie)', querystring: MeQuery, response: { 200: MeV8 } } }, async (req, reply) => {
    const p = principal(req);
    await openApiSession(p, req, reply);
    return meDocument(p, req.query);
  });

  app.delete('/sessions', { config: { auth: 'cookie' }, schema: { summary: 'End the session of the cookie sent', response: { 200: EmptyObject } } }, async (req, reply) => {
    const p = principal(req);
    await core.accounts.endSession(p, requestContext(req));
    clearCookie(reply, core.config, API_COOKIE);
    return {};
  });

  app.post<{ Body: SignupBody }>('/signups', { schema: { summary: 'Sign up', body: SignupBody, response: { 200: DataV8 } } }, async (req) => {
    const u = req.body.user;
    const p = await core.accounts.signup({ email: u.email, password: u.password, timezone: u.timezone, fullname: u.fullname }, requestContext(req));
    return { data: userV8(core.accounts.profile(p), publicUrl()) };
  });

  app.post('/reset_token', { config: { auth: 'any' }, schema: { summary: 'Replace the API token', response: { 200: ApiToken } } }, async (req, reply) => {
    const p = principal(req);
    const token = await core.accounts.resetApiToken(p, requestContext(req));
    return reply.type(JSON_UTF8).send(JSON.stringify(token));
  });
}
