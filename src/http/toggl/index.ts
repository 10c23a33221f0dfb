// The Toggl dialect as one Fastify plugin: its body parsing, its error format and its three generations.
// Content-type parsers and error handlers are scoped to this plugin, so the BookingBug dialect keeps its own.
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { parseJsonBody } from '../json.js';
import { accountsRoutes } from './accounts.js';
import { addAuthHook, declarePrincipal } from './authenticate.js';
import { ERRORS, sendTogglError, tagGeneration, type Generation } from './errors.js';
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
  declarePrincipal(app);

  // Each generation is its own plugin; its routes carry their generation, so errors are rendered in its
  // format without looking at the URL again.
  const generations: Array<[Generation, string, (scope: FastifyInstance, core: Core) => Promise<void>]> = [
    ['v9', '/api/v9', v9Routes],
    ['v8', '/api/v8', v8Routes],
    ['accounts', '/api', accountsRoutes],
  ];
  for (const [generation, prefix, routes] of generations) {
    await app.register(
      async (scope) => {
        tagGeneration(scope, generation);
        addAuthHook(scope, core, generation);
        await routes(scope, core);
      },
      { prefix },
    );
  }
  // Requests no route matched (an unknown path or method, whose body may still fail to parse) are answered
  // in the format of the generation whose prefix they fall under.
  for (const [generation, prefix] of generations) {
    await app.register(
      async (scope) => {
        scope.setErrorHandler((err, req, reply) => sendTogglError(err, req, reply, generation));
        scope.setNotFoundHandler((req, reply) => sendTogglError(ERRORS.notFound(), req, reply, generation));
      },
      { prefix },
    );
  }
}
