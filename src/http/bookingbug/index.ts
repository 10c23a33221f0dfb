// The BookingBug dialect (/api/v1) as one Fastify plugin: its body parsers (JSON, multipart, urlencoded),
// its application and Auth-Token checks, its error format and its routes.
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { parseJsonBody } from '../json.js';
import { BadForm, FORM_LIMITS, parseMultipart, parseUrlEncoded } from '../multipart.js';
import { adminRoutes } from './admin.js';
import { addCredentialsHook } from './credentials.js';
import { ERRORS, sendBookingBugError } from './errors.js';
import { loginRoutes } from './login.js';
import { resetRoutes } from './reset.js';

export const PREFIX = '/api/v1';

/**
 * Spec §1: the three body encodings have the same size limits. A JSON object gets the limits of a form:
 * at most FORM_LIMITS.fields fields, names of at most fieldNameSize bytes, values of at most fieldSize
 * bytes (a non-string value counted as its JSON text), with the same 413 answers.
 */
export function limitJsonFields(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const entries = Object.entries(value);
  if (entries.length > FORM_LIMITS.fields) throw new BadForm(`Too many fields (at most ${FORM_LIMITS.fields})`, 413);
  for (const [name, v] of entries) {
    if (Buffer.byteLength(name) > FORM_LIMITS.fieldNameSize) throw new BadForm('Field name is too long', 413);
    const size = Buffer.byteLength(typeof v === 'string' ? v : JSON.stringify(v));
    if (size > FORM_LIMITS.fieldSize) throw new BadForm(`Field ${name.slice(0, 100)} is too large (at most ${FORM_LIMITS.fieldSize} bytes)`, 413);
  }
  return value;
}

export async function bookingBugDialect(app: FastifyInstance, core: Core): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, limitJsonFields(parseJsonBody(body as string)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseUrlEncoded(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (req, body, done) => {
    parseMultipart(String(req.headers['content-type']), body as Buffer).then(
      (fields) => done(null, fields),
      (err: Error) => done(err, undefined),
    );
  });
  app.setErrorHandler((err, req, reply) => sendBookingBugError(err, req, reply));
  app.setNotFoundHandler((req, reply) => sendBookingBugError(ERRORS.notFound(), req, reply));
  addCredentialsHook(app, core);

  await app.register(async (scope) => loginRoutes(scope, core));
  await app.register(async (scope) => resetRoutes(scope, core));
  await app.register(async (scope) => adminRoutes(scope, core));
}
