// Every error the BookingBug dialect answers with, declared once, and the one function that renders any
// error (ours, the core's, Fastify's) as BookingBug does: a status and `{"error": "<message>"}`.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CoreError, type CoreErrorCode } from '../../core/errors.js';
import { WireError } from '../wire-error.js';

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
function validationMessage(err: FastifyError): string {
  const v = err.validation?.[0];
  if (!v) return ERRORS.badBody().message;
  const params = v.params as { missingProperty?: string };
  if (v.keyword === 'required') return `Missing field: ${String(params.missingProperty)}`;
  const field = v.instancePath.split('/').filter(Boolean)[0];
  if (field === undefined) return err.validationContext === 'body' ? ERRORS.badBody().message : `Invalid ${err.validationContext ?? 'request'}`;
  return `Invalid ${field}`;
}

/** Turns anything thrown in a BookingBug route into a BookingBugError (unknown errors become a logged 500). */
export function toBookingBugError(err: unknown, req: FastifyRequest): BookingBugError {
  if (err instanceof BookingBugError) return err;
  if (err instanceof CoreError) return fromCore(err);
  const fe = err as FastifyError;
  if (fe.validation) {
    const field = fe.validationContext === 'params' ? fe.validation[0]?.instancePath.split('/').filter(Boolean)[0] : undefined;
    return new BookingBugError(400, field ? `Invalid ${field}` : validationMessage(fe));
  }
  switch (fe.code) {
    case 'GATEHOUSE_BAD_JSON':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new BookingBugError(400, fe.message === 'Invalid JSON input' ? ERRORS.badJson().message : fe.message);
    case 'GATEHOUSE_BAD_FORM':
      return new BookingBugError(fe.statusCode ?? 400, fe.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return ERRORS.tooLarge();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return ERRORS.unsupportedType();
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return new BookingBugError(fe.statusCode, fe.message);
  req.log.error({ err: { type: fe.name, code: fe.code, message: fe.message, stack: fe.stack } }, 'unexpected error');
  return ERRORS.internal();
}

export function sendBookingBugError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = toBookingBugError(err, req);
  return reply.code(error.status).headers(error.headers).type('application/json; charset=utf-8').send(JSON.stringify({ error: error.message }));
}
