// Assembles the HTTP server: shared settings (limits, logging without secrets, no-store caching),
// the public pages and each dialect as its own scoped plugin.
import { createRequire } from 'node:module';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import type { Core } from '../core/index.js';
import { bookingBugDialect, PREFIX as BOOKINGBUG_PREFIX } from './bookingbug/index.js';
import { sendBookingBugError } from './bookingbug/errors.js';
import { requestPath } from './context.js';
import { publicPages } from './pages.js';
import { redactUrl } from './redact.js';
import { sendTogglError } from './toggl/errors.js';
import { togglDialect } from './toggl/index.js';

export interface AppOptions {
  logLevel?: string;
}

type Validate = ((data: unknown) => unknown) & { errors?: unknown };
type BuildValidator = (externalSchemas: unknown, ajvOptions: unknown) => (route: unknown) => Validate;
type ValidatorFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;

/**
 * Fastify's own validator compiler (the same Ajv, options and error messages), compiling each route's schema
 * on its first request instead of at start (issue 9: compiling every schema was a large share of start-up).
 * Resolved from Fastify's own dependencies, so it is exactly the compiler Fastify would have used.
 */
function lazyValidators(): ValidatorFactory {
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  const selector = (fromFastify('@fastify/ajv-compiler') as () => BuildValidator)();
  const factory: BuildValidator = (externalSchemas, ajvOptions) => {
    const build = selector(externalSchemas, ajvOptions);
    return (route) => {
      let compiled: Validate | undefined;
      const validate: Validate = (data) => {
        compiled ??= build(route);
        const ok = compiled(data);
        validate.errors = compiled.errors;
        return ok;
      };
      return validate;
    };
  };
  // Fastify types the compiled function as Ajv's; Fastify itself only calls it and reads `errors`.
  return factory as unknown as ValidatorFactory;
}

export async function buildApp(core: Core, options: AppOptions = {}): Promise<FastifyInstance> {
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
      const path = requestPath(req.url);
      if (path === BOOKINGBUG_PREFIX || path.startsWith(`${BOOKINGBUG_PREFIX}/`) || path.startsWith(`${BOOKINGBUG_PREFIX}?`)) {
        return sendBookingBugError(err, req, reply);
      }
      if (path.startsWith('/api/')) return sendTogglError(err, req, reply);
      return (reply as FastifyReply).code(err.statusCode ?? 400).send({ error: err.message });
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    schemaController: { compilersFactory: { buildValidator: lazyValidators() } },
    logger: {
      level: options.logLevel ?? core.config.logLevel,
      // Headers (Authorization, Cookie) and bodies are never logged; URLs are logged with codes masked.
      serializers: {
        req: (req) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
    },
  });

  await app.register(cookie);
  // A callback hook, not an async one: no promise per request on the hot path (issue 9).
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
    done(null, payload);
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'Not found' }));

  await app.register(async (scope) => publicPages(scope, core));
  await app.register(async (scope) => togglDialect(scope, core));
  await app.register(async (scope) => bookingBugDialect(scope, core), { prefix: BOOKINGBUG_PREFIX });
  return app;
}
