// The Toggl dialect as one Fastify plugin: its body parsing, its error format and its three generations.
// Content-type parsers and error handlers are scoped to this plugin, so the BookingBug dialect keeps its own.
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { parseJsonBody } from '../json.js';
import { accountsRoutes } from './accounts.js';
import { addAuthHook } from './authenticate.js';
import { ERRORS, sendTogglError } from './errors.js';
import { v8Routes } from './v8.js';
import { v9Routes } from './v9.js';

export async function togglDialect(app: FastifyInstance, core: Core): Promise<void> {
  app.removeAllContentTypeParsers();
  // Upstream reads every body as JSON whatever its content type (curl -d sends a form type by default).
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.setErrorHandler((err, req, reply) => sendTogglError(err, req, reply));
  addAuthHook(app, core);

  await app.register(async (v9) => v9Routes(v9, core), { prefix: '/api/v9' });
  await app.register(async (v8) => v8Routes(v8, core), { prefix: '/api/v8' });
  await app.register(async (accounts) => accountsRoutes(accounts, core), { prefix: '/api' });
  for (const prefix of ['/api/v9', '/api/v8', '/api']) {
    await app.register(async (scope) => scope.setNotFoundHandler((req, reply) => sendTogglError(ERRORS.notFound(), req, reply)), { prefix });
  }
}
