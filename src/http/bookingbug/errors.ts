// Every error the BookingBug dialect answers with, declared once, and the one function that renders any
// error (ours, the core's, Fastify's) as BookingBug does: a status and `{"error": "<message>"}`.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CoreError, type CoreErrorCode } from '../../core/errors.js';
import { classifyRequestError, REQUEST_ERROR_STATUS, type RequestError, type SchemaProblem } from '../request-errors.js';
import { WireError } from '../wire-error.js';
import { JSON_UTF8 } from '../json.js';

export class BookingBugError extends WireError {}

export const ERRORS = {
  invalidApplication: () => new BookingBugError(401, 'Invalid App-Id or App-Key'),
  unauthorized: () => new BookingBugError(401, '401 Unauthorized'),
  invalidLogin: () => new BookingBugError(401, 'Invalid email or password'),
  forbidden: () => new BookingBugError(403, 'Forbidden'),
  disabled: () => new BookingBugError(403, 'Account has been disabled'),
  companyNotFound: () => new BookingBugError(404, 'Company not found'),
  administratorNotFound: () => new BookingBugError(404, 'Administrator not found'),
  memberNotFound: () => new BookingBugError(404, 'Member not found'),
  notFound: () => new BookingBugError(404, 'Not found'),
  badJson: () => new BookingBugError(400, 'Invalid JSON'),
  badBody: () => new BookingBugError(400, 'Request body must be a JSON object or a form'),
  tooLarge: () => new BookingBugError(413, 'Request body is too large'),
  unsupportedType: () => new BookingBugError(415, 'Unsupported content type: send application/json, multipart/form-data or application/x-www-form-urlencoded'),
  locked: (retryAfter: number) => new BookingBugError(429, 'Too many failed login attempts, try again later', { 'Retry-After': String(retryAfter) }),
  rateLimited: (retryAfter: number) => new BookingBugError(429, 'Too many requests, try again later', { 'Retry-After': String(retryAfter) }),
  overloaded: (retryAfter: number) => new BookingBugError(503, 'Server busy, try again later', { 'Retry-After': String(retryAfter) }),
  internal: () => new BookingBugError(500, 'Internal server error'),
} as const;

function fromCore(err: CoreError): BookingBugError {
  const retry = err.extra.retryAfter ?? 1;
  const byCode: Record<CoreErrorCode, () => BookingBugError> = {
    invalid_credentials: () => {
      const e = ERRORS.invalidLogin();
      if (err.extra.remainingAttempts !== undefined) e.headers['X-Remaining-Login-Attempts'] = String(err.extra.remainingAttempts);
      return e;
    },
    locked: () => ERRORS.locked(retry),
    account_disabled: () => ERRORS.disabled(),
    rate_limited: () => ERRORS.rateLimited(retry),
    overloaded: () => ERRORS.overloaded(retry),
    invalid_input: () => new BookingBugError(400, err.message),
    email_taken: () => new BookingBugError(400, err.message),
    reset_code_invalid: () => new BookingBugError(400, err.message),
    not_found: () => ERRORS.notFound(),
    invalid_application: () => ERRORS.invalidApplication(),
    forbidden: () => ERRORS.forbidden(),
    company_not_found: () => ERRORS.companyNotFound(),
  };
  return byCode[err.code]();
}

/** The message for a schema violation: which field is missing or has the wrong type or size. */
function validationMessage(p: SchemaProblem | undefined): string {
  if (!p) return ERRORS.badBody().message;
  const field = p.path[0];
  if (p.context === 'params' && field !== undefined) return `Invalid ${field}`;
  if (p.keyword === 'required') return `Missing field: ${String(p.missing)}`;
  if (field === undefined) return p.context === 'body' ? ERRORS.badBody().message : `Invalid ${p.context ?? 'request'}`;
  return `Invalid ${field}`;
}

function fromRequestError(err: RequestError): BookingBugError {
  switch (err.code) {
    case 'bad_json':
      return new BookingBugError(REQUEST_ERROR_STATUS.bad_json, err.detail ?? ERRORS.badJson().message);
    case 'bad_form':
    case 'form_too_large':
      return new BookingBugError(REQUEST_ERROR_STATUS[err.code], err.detail ?? ERRORS.badBody().message);
    case 'too_large':
      return ERRORS.tooLarge();
    case 'unsupported_type':
      return ERRORS.unsupportedType();
    case 'invalid':
      return new BookingBugError(REQUEST_ERROR_STATUS.invalid, validationMessage(err.problem));
    case 'bad_request':
      return new BookingBugError(err.status, err.detail ?? 'Bad request');
    case 'internal':
      return ERRORS.internal();
  }
}

/** Turns anything thrown in a BookingBug route into a BookingBugError (unknown errors become a logged 500). */
export function toBookingBugError(err: unknown, req: FastifyRequest): BookingBugError {
  if (err instanceof BookingBugError) return err;
  if (err instanceof CoreError) return fromCore(err);
  const classified = classifyRequestError(err);
  if (classified.code === 'internal') {
    const fe = err as FastifyError;
    req.log.error({ err: { type: fe.name, code: fe.code, message: fe.message, stack: fe.stack } }, 'unexpected error');
  }
  return fromRequestError(classified);
}

export function sendBookingBugError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = toBookingBugError(err, req);
  return reply.code(error.status).headers(error.headers).type(JSON_UTF8).send(JSON.stringify({ error: error.message }));
}
