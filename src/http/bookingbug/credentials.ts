// Who is calling a BookingBug route, checked in onRequest before the body is read: every /api/v1 request
// names a live application (App-Id, and App-Key when it has one); routes that declare `config.bb` also need
// a live Auth-Token issued to that application (an administrator's for 'admin').
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CompanySession } from '../../core/company-sessions.js';
import type { Core } from '../../core/index.js';
import type { ApplicationRow } from '../../store/store.js';
import { authNoteOf } from '../../observe/request-record.js';
import { memoryFirst, prependOnRequest } from '../auth-hooks.js';
import { ERRORS } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which Auth-Token a BookingBug route needs: an administrator's, or any (administrator or member). */
    bb?: 'admin' | 'session';
  }
  interface FastifyRequest {
    bbApp?: ApplicationRow;
    bbSession?: CompanySession;
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v.trim() : undefined;
}

export function addCredentialsHook(app: FastifyInstance, core: Core): void {
  app.decorateRequest('bbApp', undefined);
  app.decorateRequest('bbSession', undefined);
  // Every request of the dialect, routed or not, names a live application; memory first (auth-hooks.ts).
  app.addHook(
    'onRequest',
    memoryFirst(
      (req) => core.applications.checkInMemory(header(req, 'app-id'), header(req, 'app-key')),
      (req) => core.applications.check(header(req, 'app-id'), header(req, 'app-key')),
      (req, found) => {
        req.bbApp = found;
      },
    ),
  );
  // Routes that declare `config.bb` get their own Auth-Token hook, made when the route is registered, so no
  // request looks up its route's options (issue 9: Fastify builds that object anew on every read).
  app.addHook('onRoute', (route) => {
    const needs = route.config?.bb;
    if (needs === undefined) return;
    const allowed = (session: CompanySession | undefined): session is CompanySession => session !== undefined && (needs !== 'admin' || session.persona.kind === 'administrator');
    const hook = memoryFirst(
      (req) => {
        const token = header(req, 'auth-token');
        const known = token ? core.companyLogins.checkInMemory(application(req), token, authNoteOf(req)) : undefined;
        return allowed(known) ? known : undefined;
      },
      async (req) => {
        const token = header(req, 'auth-token');
        const session = token ? await core.companyLogins.check(application(req), token, authNoteOf(req)) : undefined;
        if (!allowed(session)) throw ERRORS.unauthorized();
        return session;
      },
      (req, session) => {
        req.bbSession = session;
      },
    );
    prependOnRequest(route, hook);
  });
}

/** The application of this request (set by the onRequest hook). */
export function application(req: FastifyRequest): ApplicationRow {
  if (!req.bbApp) throw new Error('BookingBug route ran without an application check');
  return req.bbApp;
}

/** The Auth-Token session of a route that declared `config.bb`. */
export function session(req: FastifyRequest): CompanySession {
  if (!req.bbSession) throw new Error('route has no config.bb but asked for its session');
  return req.bbSession;
}

/** The Auth-Token as sent (a re-rendered session shows the caller its own token). */
export function tokenOf(req: FastifyRequest): string {
  return header(req, 'auth-token') ?? '';
}
