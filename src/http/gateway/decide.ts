// The gateway's decision for one request of the protected API: which rule covers it, and either the
// verified identity or the refusal. The credential checks are the dialects' own (Toggl `authenticate`,
// BookingBug applications/Auth-Tokens and the company tree), so throttling, lockout, the verified-credential
// cache and revocation are exactly those of /me and the BookingBug admin routes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import type { Identity } from '../../gateway/identity.js';
import { matchRule, type Rule } from '../../gateway/rules.js';
import { ERRORS as BB_ERRORS, sendBookingBugError } from '../bookingbug/errors.js';
import { requestPath } from '../context.js';
import { authNoteOf, recordOf } from '../../observe/request-record.js';
import { authenticate } from '../toggl/authenticate.js';
import { ERRORS as TOGGL_ERRORS, sendTogglError, type Generation } from '../toggl/errors.js';
import { JSON_UTF8 } from '../json.js';

export type Dialect = 'toggl' | 'bookingbug' | 'plain';

/** The request being decided: the gateway's own request (built-in proxy) or the one a proxy reports (forward-auth). */
export interface Target {
  method: string;
  /** Path and query, as the client sent them. */
  url: string;
}

export type Decision = { rule: Rule; dialect: Dialect } & ({ ok: true; identity: Identity } | { ok: false; error: unknown });

declare module 'fastify' {
  interface FastifyRequest {
    /** The name of the gateway rule that matched (for the request log line and metrics). */
    gatewayRule?: string;
  }
}

/** The Toggl generation whose answers a protected path gets (the gateway sees foreign URLs, so it reads the path). */
export function generationOfPath(url: string): Generation {
  const path = requestPath(url).split('?')[0] ?? '/';
  if (path === '/api/v9' || path.startsWith('/api/v9/')) return 'v9';
  if (path === '/api/v8' || path.startsWith('/api/v8/')) return 'v8';
  return 'accounts';
}

/** Whose error format a path speaks. */
export function dialectOf(path: string): Dialect {
  if (path === '/api/v1' || path.startsWith('/api/v1/')) return 'bookingbug';
  if (path.startsWith('/api/')) return 'toggl';
  return 'plain';
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v.trim() : undefined;
}

async function toggl(core: Core, req: FastifyRequest, target: Target): Promise<Identity> {
  const p = await authenticate(core, req, 'any', { method: target.method, generation: generationOfPath(target.url) });
  const authMethod = p.method === 'session' ? (p.via === 'api-cookie' ? 'api_session' : 'accounts_session') : p.method;
  return { accountId: p.account.public_id, email: p.account.email ?? undefined, authMethod };
}

async function bookingBug(core: Core, req: FastifyRequest, rule: Rule, params: Record<string, string>): Promise<Identity> {
  const app = await core.applications.check(header(req, 'app-id'), header(req, 'app-key'));
  const token = header(req, 'auth-token');
  const admin = rule.require === 'bookingbug-admin';
  if (!token) {
    if (admin) throw BB_ERRORS.unauthorized();
    return { authMethod: 'application', applicationId: app.app_id };
  }
  const session = await core.companyLogins.check(app, token, authNoteOf(req));
  if (!session || (admin && session.persona.kind !== 'administrator')) throw BB_ERRORS.unauthorized();
  // An administrator's token acts in its company and every descendant (404 unknown, 403 outside the tree).
  const company = admin ? await core.companyLogins.actIn(session, Number(params.company_id)) : session.company;
  return {
    accountId: session.account.public_id,
    email: session.account.email ?? undefined,
    authMethod: 'auth_token',
    companyId: company.id,
    role: session.persona.kind === 'administrator' ? session.persona.administrator.role : 'member',
    applicationId: app.app_id,
  };
}

export async function decide(core: Core, req: FastifyRequest, target: Target): Promise<Decision> {
  const path = requestPath(target.url).split('?')[0] ?? '/';
  const { rule, params } = matchRule(core.config.gateway.rules, target.method.toUpperCase(), path);
  req.gatewayRule = rule.name;
  const dialect: Dialect = rule.require === 'toggl' ? 'toggl' : rule.require.startsWith('bookingbug') ? 'bookingbug' : dialectOf(path);
  try {
    switch (rule.require) {
      case 'public':
        return { ok: true, rule, dialect, identity: { authMethod: 'none' } };
      case 'deny':
        throw dialect === 'toggl' ? TOGGL_ERRORS.notFound() : dialect === 'bookingbug' ? BB_ERRORS.notFound() : new PlainError(404, 'Not found');
      case 'toggl':
        return { ok: true, rule, dialect, identity: await toggl(core, req, target) };
      case 'bookingbug-admin':
      case 'bookingbug-app':
        return { ok: true, rule, dialect, identity: await bookingBug(core, req, rule, params) };
    }
  } catch (error) {
    return { ok: false, rule, dialect, error };
  }
}

/** An error of a path outside both dialects: `{"error": message}`. */
export class PlainError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sends any error in the format of the dialect, as if the target itself had been called: the Toggl renderer
 * is given the generation (v9/v8) of the target's URL rather than that of /gateway/check.
 */
export function sendRefusal(error: unknown, dialect: Dialect, req: FastifyRequest, reply: FastifyReply, target: Target): FastifyReply {
  if (dialect === 'toggl') return sendTogglError(error, req, reply, generationOfPath(target.url));
  if (dialect === 'bookingbug') return sendBookingBugError(error, req, reply);
  const status = error instanceof PlainError ? error.status : typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
  if (status >= 500 && !(error instanceof PlainError)) req.log.error({ err: { message: (error as Error).message } }, 'unexpected error');
  return reply.code(status).type(JSON_UTF8).send(JSON.stringify({ error: status >= 500 && !(error instanceof PlainError) ? 'Internal server error' : (error as Error).message }));
}

/**
 * Records the decision on the request's one log line (`rule`, `gateway_mode`, `allowed`; never a credential),
 * from which the metrics count it too (gatehouse_gateway_decisions_total).
 */
export function logDecision(req: FastifyRequest, d: Decision, mode: 'check' | 'proxy'): void {
  const record = recordOf(req);
  record.rule = d.rule.name;
  record.extra = { ...record.extra, gateway_mode: mode, allowed: d.ok };
}
