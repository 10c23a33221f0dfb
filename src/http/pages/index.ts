// The account pages for people (sign up, sign in, forgot and reset password, the account page), as one
// scoped Fastify plugin: HTML forms (application/x-www-form-urlencoded), anti-forgery tokens, the same-origin
// check, security headers, and errors rendered as pages. Routes call the core services only.
import cookie from '@fastify/cookie';
import csrfProtection from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../core/auth.js';
import type { Core } from '../../core/index.js';
import type { IssuedSession } from '../../core/sessions.js';
import { requestContext } from '../context.js';
import { requestCookies } from '../cookies.js';
import { authNoteOf } from '../../observe/request-record.js';
import { ACCOUNTS_COOKIE, setAccountsCookie } from '../toggl/cookies.js';
import { accountRoutes } from './account-routes.js';
import { PageRenderer, shippedPagesDir } from './render.js';
import { publicRoutes } from './public-routes.js';
import { crossOriginPost, setPageHeaders } from './security.js';

export interface Pages {
  core: Core;
  r: PageRenderer;
  /** Renders `template` in the layout and sends it. */
  send(reply: FastifyReply, status: number, template: string, title: string, view: Record<string, unknown>, layout?: Record<string, unknown>): FastifyReply;
  /** An anti-forgery token for the forms of this answer (sets the secret cookie when there is none). */
  csrf(reply: FastifyReply): string;
  /** The accounts session of this browser, when it has a live one. */
  signedIn(req: FastifyRequest): Promise<Principal | undefined>;
  /** Opens an accounts session (or uses `issued`) and sets its cookie. */
  startSession(req: FastifyRequest, reply: FastifyReply, p: Principal, remember: boolean, issued?: IssuedSession): Promise<void>;
  redirect(reply: FastifyReply, to: string): FastifyReply;
}

/** Name of the anti-forgery secret cookie: `__Host-` wherever browsers keep Secure cookies. */
export function csrfCookieName(secureContext: boolean): string {
  return secureContext ? '__Host-gatehouse-csrf' : 'gatehouse-csrf';
}

class ForbiddenPost extends Error {
  readonly statusCode = 403;
  constructor() {
    super('cross-origin form post');
  }
}

export async function accountPages(app: FastifyInstance, core: Core): Promise<void> {
  const r = new PageRenderer(shippedPagesDir(), core.config.pagesDir);
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  // The anti-forgery plugin keeps its secret in a cookie through @fastify/cookie, whose hooks stay in this
  // scope (the APIs read and write their cookies without one: src/http/cookies.ts).
  await app.register(cookie);
  await app.register(csrfProtection, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: csrfCookieName(core.config.secureContext),
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'strict', secure: core.config.secureContext },
    // Tokens are HMACs under a server key: knowing (or planting) the secret cookie is not enough to mint one.
    csrfOpts: { hmacKey: core.keyring.digest('csrf-token-key', 'v1') },
    logLevel: 'info',
  });

  app.addHook('onRequest', async (req) => {
    if (req.method === 'POST' && crossOriginPost(req, core.config.publicUrl)) throw new ForbiddenPost();
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    setPageHeaders(reply);
    return payload;
  });

  const pages: Pages = {
    core,
    r,
    send(reply, status, template, title, view, layout = {}) {
      return reply.code(status).type('text/html; charset=utf-8').send(r.page(template, title, view, layout));
    },
    csrf: (reply) => reply.generateCsrf(),
    async signedIn(req) {
      const value = requestCookies(req)[ACCOUNTS_COOKIE];
      if (!value) return undefined;
      const token = await core.sessions.unwrap(value);
      if (token === undefined) return undefined;
      return core.auth.session(token, ['accounts'], authNoteOf(req)).catch(() => undefined);
    },
    async startSession(req, reply, p, remember, issued) {
      const s = issued ?? (await core.accounts.openSession(p.account.id, 'accounts', remember, core.store, requestContext(req)));
      setAccountsCookie(reply, core.config, await core.sessions.sign(s.token, p.account.public_id, s.expiresAt), remember ? s.maxAge : undefined);
    },
    redirect: (reply, to) => reply.code(303).header('Location', to).send(),
  };

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'account page failed');
    const text = status === 403 ? r.t('errors.forbidden') : status === 500 ? r.t('errors.server') : r.t('errors.badForm');
    return pages.send(reply, status, 'message', r.t('errors.title'), { heading: r.t('errors.title'), text });
  });

  await publicRoutes(app, pages);
  await accountRoutes(app, pages);
}
