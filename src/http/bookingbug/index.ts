// The BookingBug dialect (/api/v1) as one Fastify plugin: its body parsers (JSON, multipart, urlencoded),
// its application and Auth-Token checks, its error format and its routes.
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { parseJsonBody } from '../json.js';
import { parseMultipart, parseUrlEncoded } from '../multipart.js';
import { adminRoutes } from './admin.js';
import { addCredentialsHook } from './credentials.js';
import { ERRORS, sendBookingBugError } from './errors.js';
import { loginRoutes } from './login.js';
import { resetRoutes } from './reset.js';

export const PREFIX = '/api/v1';

export async function bookingBugDialect(app: FastifyInstance, core: Core): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
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
