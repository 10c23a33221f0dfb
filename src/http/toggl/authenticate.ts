// Who is calling a Toggl route: Basic (email:password or token:api_token) first, then the accounts
// cookie, then the API session cookie. Cookie-authenticated state changes from another site are refused.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../core/auth.js';
import type { Core } from '../../core/index.js';
import { memoryFirst, prependOnRequest } from '../auth-hooks.js';
import { parseBasic } from '../basic.js';
import { requestContext } from '../context.js';
import { requestCookies } from '../cookies.js';
import { authNoteOf } from '../../observe/request-record.js';
import { ACCOUNTS_COOKIE, API_COOKIE } from './cookies.js';
import { ERRORS, type Generation } from './errors.js';

export type Accepts = 'any' | 'basic' | 'cookie';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which credentials a Toggl route takes; checked in onRequest, before the body is read. */
    auth?: Accepts;
  }
  interface FastifyRequest {
    togglPrincipal?: Authenticated;
  }
}

export interface Authenticated extends Principal {
  /** Which credential was used: cookies matter for logout and cross-site checks. */
  via: 'basic' | 'accounts-cookie' | 'api-cookie';
}

/**
 * The principal with the credential it came by, every field written in one order: one object shape on every
 * path (issue 9: spreading the principal and adding `via` took V8's slow property path on every request).
 */
function authenticated(p: Principal, via: Authenticated['via']): Authenticated {
  return { account: p.account, method: p.method, session: p.session, credentialKey: p.credentialKey, via };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function crossSite(req: FastifyRequest, publicUrl: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site') return true;
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || origin === '' || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).origin !== new URL(publicUrl).origin;
  } catch {
    return true;
  }
}

/** The request being authenticated: its method and the Toggl generation whose answers it gets. */
export interface AuthTarget {
  method: string;
  generation: Generation;
}

/**
 * `target` is the request being authenticated when it is not `req` itself: the gateway's forward-auth check
 * authenticates the method and URI a proxy reports, with the headers (credentials) the proxy passed on.
 */
export async function authenticate(core: Core, req: FastifyRequest, accepts: Accepts, target: AuthTarget): Promise<Authenticated> {
  const generation = target.generation;
  const note = authNoteOf(req);
  const basic = parseBasic(req.headers.authorization);
  if (basic.kind === 'malformed') {
    note('password', 'bad_credentials', 'malformed_basic');
    throw ERRORS.badCredentials();
  }
  if (basic.kind === 'ok') {
    if (accepts === 'cookie') throw ERRORS.needsCookie();
    if (basic.password === 'api_token') return authenticated(await core.auth.apiToken(basic.user, note), 'basic');
    return authenticated(await core.auth.password(basic.user, basic.password, requestContext(req), { cache: true }), 'basic');
  }

  const cookies = requestCookies(req);
  const accountsCookie = cookies[ACCOUNTS_COOKIE];
  const apiCookie = cookies[API_COOKIE];
  if (accepts !== 'basic') {
    let found: Authenticated | undefined;
    if (accountsCookie) {
      const token = await core.sessions.unwrap(accountsCookie);
      if (token !== undefined) found = await core.auth.session(token, ['accounts'], note).then((p) => authenticated(p, 'accounts-cookie'), () => undefined);
    }
    if (!found && apiCookie) {
      found = await core.auth.session(apiCookie, ['api'], note).then((p) => authenticated(p, 'api-cookie'), () => undefined);
    }
    if (found) {
      if (!SAFE_METHODS.has(target.method) && crossSite(req, core.config.publicUrl)) throw ERRORS.crossSite();
      return found;
    }
    if (accountsCookie || apiCookie) {
      note('session', 'bad_credentials', 'bad_cookie');
      throw ERRORS.badCredentials();
    }
  }
  if (accepts === 'basic') throw generation === 'v9' ? ERRORS.missingCredentials() : ERRORS.needsBasic();
  if (generation === 'v9') throw ERRORS.missingCredentials();
  throw ERRORS.badCredentials();
}

/**
 * The caller, when memory alone vouches for its credential (a token, pair or session verified recently, see
 * the core's `...InMemory` checks): the decisions of `authenticate` for the credentials that succeed, without a
 * store read or a promise (issue 9: the hot path). Undefined whenever memory cannot say or the answer would
 * be a refusal: then `authenticate` decides, and answers every refusal.
 */
export function authenticateInMemory(core: Core, req: FastifyRequest, accepts: Accepts, target: AuthTarget): Authenticated | undefined {
  const basic = parseBasic(req.headers.authorization);
  if (basic.kind === 'malformed') return undefined;
  if (basic.kind === 'ok') {
    if (accepts === 'cookie') return undefined;
    const p = basic.password === 'api_token' ? core.auth.apiTokenInMemory(basic.user, authNoteOf(req)) : core.auth.passwordInMemory(basic.user, basic.password, requestContext(req));
    return p && authenticated(p, 'basic');
  }
  if (accepts === 'basic') return undefined;
  const cookies = requestCookies(req);
  const accountsCookie = cookies[ACCOUNTS_COOKIE];
  const apiCookie = cookies[API_COOKIE];
  // The accounts cookie is tried first: while it is sent and memory cannot vouch for it, only the full check
  // knows which cookie the request is authenticated by.
  let found: Authenticated | undefined;
  if (accountsCookie) {
    const token = core.sessions.unwrapInMemory(accountsCookie);
    const p = token === undefined ? undefined : core.auth.sessionInMemory(token, ['accounts'], authNoteOf(req));
    found = p && authenticated(p, 'accounts-cookie');
  } else if (apiCookie) {
    const p = core.auth.sessionInMemory(apiCookie, ['api'], authNoteOf(req));
    found = p && authenticated(p, 'api-cookie');
  }
  if (found && !SAFE_METHODS.has(target.method) && crossSite(req, core.config.publicUrl)) return undefined;
  return found;
}

/** Declares the principal on the dialect's requests (set by the routes' auth hooks). */
export function declarePrincipal(app: FastifyInstance): void {
  app.decorateRequest('togglPrincipal', undefined);
}

/**
 * Authenticates every route of a generation's plugin that declares `config.auth`, on request arrival: a caller
 * without valid credentials is answered 401/403 before its body is parsed or validated. The hook is the
 * route's own, made when the route is registered with its accepted credentials and generation, so no request
 * looks up its route's options (issue 9: Fastify builds that object anew on every read).
 */
export function addAuthHook(scope: FastifyInstance, core: Core, generation: Generation): void {
  scope.addHook('onRoute', (route) => {
    const accepts = route.config?.auth;
    if (accepts === undefined) return;
    const target = (req: FastifyRequest): AuthTarget => ({ method: req.method, generation });
    const hook = memoryFirst(
      (req) => authenticateInMemory(core, req, accepts, target(req)),
      (req) => authenticate(core, req, accepts, target(req)),
      (req, p) => {
        req.togglPrincipal = p;
      },
    );
    prependOnRequest(route, hook);
  });
}

/** The caller of a route that declared `config.auth` (set by the onRequest hook). */
export function principal(req: FastifyRequest): Authenticated {
  if (!req.togglPrincipal) throw new Error('route has no config.auth but asked for its principal');
  return req.togglPrincipal;
}
