// Assembles the HTTP server: shared settings (limits, logging without secrets, no-store caching),
// the public endpoints, the account pages and each dialect as its own scoped plugin.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Core } from '../core/index.js';
import { bookingBugDialect, PREFIX as BOOKINGBUG_PREFIX } from './bookingbug/index.js';
import { sendBookingBugError } from './bookingbug/errors.js';
import { lazyCompilers } from './compilers.js';
import { requestPath } from './context.js';
import { gateway } from './gateway/index.js';
import { logOutput } from '../log.js';
import { registerOpenApi } from './openapi.js';
import { accountPages } from './pages/index.js';
import { publicPages } from './public.js';
import { addRequestLogging, loggerOptions, requestLogOptions } from '../observe/logging.js';
import type { ServerMetrics } from '../observe/metrics.js';
import { recordOf } from '../observe/request-record.js';
import { sendTogglError } from './toggl/errors.js';
import { togglDialect } from './toggl/index.js';

export interface AppOptions {
  logLevel?: string;
  /** Request metrics are counted here when given (the server's registry). */
  metrics?: ServerMetrics;
  /**
   * Called with the new instance before any plugin or route is added, so that its hooks see every route:
   * for embedders (the test suite checks every answer against the OpenAPI document this way).
   */
  instrument?: (app: FastifyInstance) => void;
}

/** The request id and the default caching (none), on every answer. */
function answerHeaders(req: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', req.id);
  reply.header('cache-control', 'no-store');
}

export async function buildApp(core: Core, options: AppOptions = {}): Promise<FastifyInstance> {
  const metrics = options.metrics;
  const app = Fastify({
    bodyLimit: core.config.bodyLimit,
    // A client that trickles its headers or body is cut off (Fastify's default is no limit at all).
    requestTimeout: core.config.requestTimeoutMs,
    // Node checks those deadlines every `connectionsCheckingInterval` (30 s by default): check every second.
    // requestTimeout is given here too: Node refuses a headersTimeout above the requestTimeout it is created with.
    http: { headersTimeout: core.config.requestTimeoutMs, requestTimeout: core.config.requestTimeoutMs, connectionsCheckingInterval: 1000 },
    routerOptions: { maxParamLength: 256 },
    // X-Forwarded-For is believed only from the proxies the operator listed (TRUSTED_PROXIES).
    trustProxy: core.config.trustedProxies.length > 0 ? core.config.trustedProxies : false,
    return503OnClosing: true,
    // Malformed URLs (bad percent-encoding, over-long parameters) in the format of the API they aimed at.
    frameworkErrors: (err, req, reply) => {
      answerHeaders(req, reply);
      const path = requestPath(req.url);
      if (path === BOOKINGBUG_PREFIX || path.startsWith(`${BOOKINGBUG_PREFIX}/`) || path.startsWith(`${BOOKINGBUG_PREFIX}?`)) {
        return sendBookingBugError(err, req, reply);
      }
      // No route matched, so no plugin says which Toggl generation was aimed at: the path is all there is.
      if (path.startsWith('/api/')) return sendTogglError(err, req, reply, path.startsWith('/api/v8/') ? 'v8' : path.startsWith('/api/v9/') ? 'v9' : 'accounts');
      return (reply as FastifyReply).code(err.statusCode ?? 400).send({ error: err.message });
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    schemaController: lazyCompilers(),
    // One JSON line per request (src/observe/logging.ts); headers and bodies are never logged, URLs only
    // with codes masked. Request ids come from a well-formed X-Request-Id or are generated. Written without
    // ever blocking (src/log.ts): a full stdout pipe must not stall requests or a stop.
    logger: { ...loggerOptions(options.logLevel ?? core.config.logLevel), stream: logOutput },
    ...requestLogOptions((req, reply, route, seconds) => metrics?.request(route, req.method, reply.statusCode, seconds, recordOf(req))),
  });
  addRequestLogging(app);
  options.instrument?.(app);

  // Every answer's own headers, set on arrival in one callback hook (issue 9: an onSend hook, and its
  // hasHeader check, cost a tenth of a token request): the request id, and no-store, which a route that
  // chooses its own caching replaces.
  app.addHook('onRequest', (req, reply, done) => {
    answerHeaders(req, reply);
    done();
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'Not found' }));

  // Before any route: the OpenAPI document sees every route registered after it.
  await registerOpenApi(app, core);
  await app.register(async (scope) => publicPages(scope, core));
  await app.register(async (scope) => accountPages(scope, core));
  await app.register(async (scope) => togglDialect(scope, core));
  await app.register(async (scope) => bookingBugDialect(scope, core), { prefix: BOOKINGBUG_PREFIX });
  // Forward-auth endpoint and, with GATEWAY_UPSTREAM, the built-in proxy behind a catch-all (own routes win).
  await gateway(app, core);
  return app;
}
