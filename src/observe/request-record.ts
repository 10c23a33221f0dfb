// The per-request record behind the one log line per request: every route, hook or core call made while
// handling a request can fill it (authentication method and outcome, account, reason, a gateway rule...),
// and the line is written from it when the answer has gone out (see logging.ts).
// The core reaches it without knowing HTTP: the HTTP layer hands the core the request's note (`authNoteOf`,
// also in every `requestContext(req)`), and the core's authentication decisions land in this record. The record
// is made on first use, so no hook runs for it (issue 9: no AsyncLocalStorage, whose promise hooks slowed
// every request).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthMethod, AuthNote, AuthOutcome } from '../core/metrics.js';
import { requestPath } from '../http/path.js';

export type Dialect = 'toggl' | 'bookingbug' | 'public';

export interface RequestRecord {
  dialect: Dialect;
  /** How the caller authenticated (the last decisive attempt). */
  auth?: AuthMethod;
  outcome?: AuthOutcome;
  /** Why: ok, bad_password, unknown_email, unknown_token, locked, disabled, expired_session, rate_limited... */
  reason?: string;
  /** The account's public id, when one was identified. Never an email or a credential. */
  account?: string;
  /** Free: the rule a gateway route matched, set by that route. */
  rule?: string;
  /** Further short facts a route wants on its line (no secrets: this is logged as is). */
  extra?: Record<string, string | number | boolean>;
  /** The note handed to the core for this request (made once, on first use); not a field of the line. */
  note?: AuthNote;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's log record; fill it from any route or hook (`recordOf(req)`). */
    logRecord?: RequestRecord;
  }
}

export function dialectOf(url: string): Dialect {
  const path = requestPath(url);
  if (path === '/api/v1' || path.startsWith('/api/v1/') || path.startsWith('/api/v1?')) return 'bookingbug';
  if (path.startsWith('/api/')) return 'toggl';
  return 'public';
}

/** The record of a request (created on demand for requests that never reached the hooks). */
export function recordOf(req: FastifyRequest): RequestRecord {
  // Every field from the start, in one order: one object shape for every request's record (issue 9).
  req.logRecord ??= { dialect: dialectOf(req.url), auth: undefined, outcome: undefined, reason: undefined, account: undefined, rule: undefined, extra: undefined, note: undefined };
  return req.logRecord;
}

/** Where the core notes this request's authentication decisions (see noteAuth). */
export function authNoteOf(req: FastifyRequest): AuthNote {
  const record = recordOf(req);
  return (record.note ??= (method, outcome, reason, account) => noteAuth(record, method, outcome, reason, account));
}

/**
 * Notes an authentication decision: a success overrides earlier failures (a stale cookie, then a good one),
 * a failure overrides a success (a token that checked but is bound elsewhere), and the first failure's
 * reason is kept over later, vaguer ones (an expired session, then "invalid credentials").
 */
export function noteAuth(record: RequestRecord, method: AuthMethod, outcome: AuthOutcome, reason: string, account?: string): void {
  const hadFailure = record.outcome !== undefined && record.outcome !== 'ok';
  if (outcome !== 'ok' && hadFailure) return;
  record.auth = method;
  record.outcome = outcome;
  record.reason = reason;
  if (account !== undefined) record.account = account;
  else if (outcome !== 'ok') record.account = undefined;
}

/** Declares the record on requests (made on first use by recordOf; no hook). */
export function addRequestRecord(app: FastifyInstance): void {
  app.decorateRequest('logRecord', undefined);
}
