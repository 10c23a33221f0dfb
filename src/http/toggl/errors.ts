// Every error the Toggl dialect answers with, declared once, and the one function that renders any error
// (ours, the core's, Fastify's) in the wire format of the generation that was called:
//   v9 and accounts: a JSON string; v8: an empty body for 403, a JSON array of messages otherwise.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CoreError } from '../../core/errors.js';
import { MESSAGES } from '../../core/validate.js';
import { requestPath } from '../context.js';
import { WireError } from '../wire-error.js';

export type Generation = 'v9' | 'v8' | 'accounts';

export class TogglError extends WireError {}

export const ERRORS = {
  missingCredentials: () => new TogglError(401, '', { 'X-Authorization-Missing': 'true' }),
  badCredentials: () => new TogglError(403, 'Incorrect username and/or password'),
  needsCookie: () => new TogglError(403, 'A session cookie is required for this request'),
  needsBasic: () => new TogglError(403, 'Basic authentication is required for this request'),
  crossSite: () => new TogglError(403, 'Cross-site request refused'),
  notFound: () => new TogglError(404, 'Not found'),
  badJson: () => new TogglError(400, MESSAGES.json),
  tooLarge: () => new TogglError(413, 'Request body is too large'),
  unsupportedType: () => new TogglError(415, 'Unsupported content type, send application/json'),
  internal: () => new TogglError(500, 'Internal server error'),
} as const;

export function generationOf(url: string): Generation {
  const path = requestPath(url);
  if (path.startsWith('/api/v8/')) return 'v8';
  if (path.startsWith('/api/v9/')) return 'v9';
  return 'accounts';
}

/** The message for a schema violation: the upstream per-field wording where one exists. */
function validationMessage(err: FastifyError): string {
  const v = err.validation?.[0];
  if (!v) return MESSAGES.json;
  if (v.keyword === 'additionalProperties') {
    const extra = (v.params as { additionalProperty?: string }).additionalProperty;
    return `Unknown field: ${String(extra)}`;
  }
  const field = v.instancePath.split('/').filter(Boolean).pop() ?? (v.params as { missingProperty?: string }).missingProperty;
  if (v.keyword === 'required') return `Missing field: ${String((v.params as { missingProperty?: string }).missingProperty)}`;
  if (!field || /^\d+$/.test(field)) return MESSAGES.json;
  return `Invalid ${field}`;
}

/** Turns anything thrown in a Toggl route into a TogglError (unknown errors become a logged 500). */
export function toTogglError(err: unknown, req: FastifyRequest): { error: TogglError; messages: string[] } {
  if (err instanceof TogglError) return { error: err, messages: [err.message] };
  if (err instanceof CoreError) {
    const headers: Record<string, string> = {};
    if (err.extra.remainingAttempts !== undefined) headers['X-Remaining-Login-Attempts'] = String(err.extra.remainingAttempts);
    if (err.extra.retryAfter !== undefined) headers['Retry-After'] = String(err.extra.retryAfter);
    const messages = err.extra.problems?.map((p) => p.message) ?? [err.message];
    const status = {
      invalid_credentials: 403,
      locked: 429,
      account_disabled: 403,
      rate_limited: 429,
      overloaded: 503,
      invalid_input: 400,
      email_taken: 400,
      reset_code_invalid: 400,
      not_found: 404,
      invalid_application: 401,
      forbidden: 403,
      company_not_found: 404,
    }[err.code];
    return { error: new TogglError(status, messages[0] ?? err.message, headers), messages };
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    const m = validationMessage(fe);
    return { error: new TogglError(400, m), messages: [m] };
  }
  switch (fe.code) {
    case 'GATEHOUSE_BAD_JSON':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { error: new TogglError(400, fe.message === 'Invalid JSON input' ? MESSAGES.json : `${MESSAGES.json}: ${fe.message}`), messages: [MESSAGES.json] };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { error: ERRORS.tooLarge(), messages: [ERRORS.tooLarge().message] };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { error: ERRORS.unsupportedType(), messages: [ERRORS.unsupportedType().message] };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { error: new TogglError(fe.statusCode, fe.message), messages: [fe.message] };
  }
  req.log.error({ err: { type: fe.name, code: fe.code, message: fe.message, stack: fe.stack } }, 'unexpected error');
  return { error: ERRORS.internal(), messages: [ERRORS.internal().message] };
}

export function sendTogglError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { error, messages } = toTogglError(err, req);
  const generation = generationOf(req.url);
  reply.code(error.status).headers(error.headers);
  // 401 (no credentials) is always empty; v8 answers every 403 with an empty body as upstream did.
  if (error.status === 401 || (generation === 'v8' && error.status === 403)) {
    return reply.header('Content-Length', '0').send();
  }
  reply.type('application/json; charset=utf-8');
  return reply.send(JSON.stringify(generation === 'v8' ? messages : error.message));
}
