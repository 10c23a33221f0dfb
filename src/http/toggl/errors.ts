// Every error the Toggl dialect answers with, declared once, and the one function that renders any error
// (ours, the core's, Fastify's) in the wire format of the generation that was called:
//   v9 and accounts: a JSON string; v8: an empty body for 403, a JSON array of messages otherwise.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CoreError, type CoreErrorCode } from '../../core/errors.js';
import { MESSAGES } from '../../core/validate.js';
import { classifyRequestError, REQUEST_ERROR_STATUS, type RequestError, type SchemaProblem } from '../request-errors.js';
import { WireError } from '../wire-error.js';
import { JSON_UTF8 } from '../json.js';

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

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The Toggl generation of the plugin that registered the route (set by `tagGeneration`). */
    togglGeneration?: Generation;
  }
}

/** Marks every route registered in a generation's plugin with that generation (read by the error renderer). */
export function tagGeneration(scope: FastifyInstance, generation: Generation): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), togglGeneration: generation };
  });
}

/** The generation of the route a request matched (known from its plugin); 'accounts' when none matched. */
export function generationOfRequest(req: FastifyRequest): Generation {
  return req.routeOptions.config?.togglGeneration ?? 'accounts';
}

/** The message for a schema violation: the upstream per-field wording where one exists. */
function validationMessage(p: SchemaProblem | undefined): string {
  if (!p) return MESSAGES.json;
  if (p.keyword === 'additionalProperties') return `Unknown field: ${String(p.extra)}`;
  if (p.keyword === 'required') return `Missing field: ${String(p.missing)}`;
  const field = p.path[p.path.length - 1] ?? p.missing;
  if (!field || /^\d+$/.test(field)) return MESSAGES.json;
  return `Invalid ${field}`;
}

function fromRequestError(err: RequestError): TogglError {
  switch (err.code) {
    case 'bad_json':
      return new TogglError(REQUEST_ERROR_STATUS.bad_json, err.detail === undefined ? MESSAGES.json : `${MESSAGES.json}: ${err.detail}`);
    case 'bad_form':
    case 'form_too_large':
      return new TogglError(REQUEST_ERROR_STATUS[err.code], err.detail ?? MESSAGES.json);
    case 'too_large':
      return ERRORS.tooLarge();
    case 'unsupported_type':
      return ERRORS.unsupportedType();
    case 'invalid':
      return new TogglError(REQUEST_ERROR_STATUS.invalid, validationMessage(err.problem));
    case 'bad_request':
      return new TogglError(err.status, err.detail ?? 'Bad request');
    case 'internal':
      return ERRORS.internal();
  }
}

const CORE_STATUS: Record<CoreErrorCode, number> = {
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
};

/** Turns anything thrown in a Toggl route into a TogglError (unknown errors become a logged 500). */
export function toTogglError(err: unknown, req: FastifyRequest): { error: TogglError; messages: string[] } {
  if (err instanceof TogglError) return { error: err, messages: [err.message] };
  if (err instanceof CoreError) {
    const headers: Record<string, string> = {};
    if (err.extra.remainingAttempts !== undefined) headers['X-Remaining-Login-Attempts'] = String(err.extra.remainingAttempts);
    if (err.extra.retryAfter !== undefined) headers['Retry-After'] = String(err.extra.retryAfter);
    const messages = err.extra.problems?.map((p) => p.message) ?? [err.message];
    return { error: new TogglError(CORE_STATUS[err.code], messages[0] ?? err.message, headers), messages };
  }
  const classified = classifyRequestError(err);
  if (classified.code === 'internal') {
    const fe = err as FastifyError;
    req.log.error({ err: { type: fe.name, code: fe.code, message: fe.message, stack: fe.stack } }, 'unexpected error');
  }
  const error = fromRequestError(classified);
  return { error, messages: [classified.code === 'bad_json' ? MESSAGES.json : error.message] };
}

/**
 * Renders any error in the wire format of the generation that was called: the route's own generation
 * (from its plugin), or `generation` where no route matched (a 404 of a prefix, a malformed URL).
 */
export function sendTogglError(err: unknown, req: FastifyRequest, reply: FastifyReply, generation: Generation = generationOfRequest(req)): FastifyReply {
  const { error, messages } = toTogglError(err, req);
  reply.code(error.status).headers(error.headers);
  // 401 (no credentials) is always empty; v8 answers every 403 with an empty body as upstream did.
  if (error.status === 401 || (generation === 'v8' && error.status === 403)) {
    return reply.header('Content-Length', '0').send();
  }
  reply.type(JSON_UTF8);
  return reply.send(JSON.stringify(generation === 'v8' ? messages : error.message));
}
