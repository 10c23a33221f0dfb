// The API reference: an OpenAPI 3.1 document generated from the route schemas (@fastify/swagger) at
// GET /openapi.json, and a readable page at GET /docs (@fastify/swagger-ui, served from the package: no CDN).
// What the route schemas do not say is added here, in one place, from what each route declares: its dialect
// (by prefix), the credentials it takes (config.auth / config.bb) and so its security schemes, and the
// error bodies of its dialect. Every registered route is in the document unless it opts out with a reason
// (config.openapiOptOut); test/e2e/openapi.test.ts holds every route to that.
import swagger, { type SwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, RouteOptions } from 'fastify';
import type { Core } from '../core/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Why a route is left out of the OpenAPI document (e.g. a catch-all proxy). Without it, it must be documented. */
    openapiOptOut?: string;
  }
  interface FastifyInstance {
    /** Every route registered (method, URL, opt-out reason), for the "every route is documented" test. */
    routeInventory: Array<{ method: string; url: string; optOut: string | undefined }>;
  }
}

const TOGGL_ERROR = { type: 'string' as const, description: 'Toggl error: a JSON string (v9, accounts); v8 answers 403 with an empty body', examples: ['Incorrect username and/or password'] };
const BB_ERROR = {
  type: 'object' as const,
  required: ['error'],
  properties: { error: { type: 'string' as const } },
  description: 'BookingBug error',
  examples: [{ error: 'Invalid email or password' }],
};

const SECURITY_SCHEMES = {
  basicPassword: { type: 'http', scheme: 'basic', description: 'Basic base64(email:password)' },
  basicApiToken: { type: 'http', scheme: 'basic', description: 'Basic base64(<api_token>:api_token): the user name is the API token, the password the word `api_token`' },
  accountsCookie: { type: 'apiKey', in: 'cookie', name: '__Secure-accounts-session', description: 'The accounts session cookie (a signed JWS), set by POST /api/sessions and POST /api/v9/me/sessions' },
  apiSessionCookie: { type: 'apiKey', in: 'cookie', name: 'toggl_api_session_new', description: 'The v8 API session cookie, set by POST /api/v8/sessions and GET /api/v8/me with Basic' },
  appId: { type: 'apiKey', in: 'header', name: 'App-Id', description: 'BookingBug application id (every /api/v1 request)' },
  appKey: { type: 'apiKey', in: 'header', name: 'App-Key', description: 'BookingBug application key (when the application has one)' },
  authToken: { type: 'apiKey', in: 'header', name: 'Auth-Token', description: 'BookingBug Auth-Token from a login answer' },
} as const;

type Security = Array<Record<string, string[]>>;

function togglSecurity(auth: string | undefined): Security | undefined {
  const basic: Security = [{ basicPassword: [] }, { basicApiToken: [] }];
  const cookies: Security = [{ accountsCookie: [] }, { apiSessionCookie: [] }];
  if (auth === 'any') return [...basic, ...cookies];
  if (auth === 'basic') return basic;
  if (auth === 'cookie') return cookies;
  return undefined;
}

function dialectOf(url: string): 'toggl' | 'bookingbug' | 'public' {
  if (url === '/api/v1' || url.startsWith('/api/v1/')) return 'bookingbug';
  if (url.startsWith('/api/')) return 'toggl';
  return 'public';
}

function tagOf(url: string): string {
  if (url.startsWith('/api/v9/')) return 'Toggl v9';
  if (url.startsWith('/api/v8/')) return 'Toggl v8';
  if (url.startsWith('/api/v1/')) return 'BookingBug v1';
  if (url.startsWith('/api/')) return 'Toggl accounts';
  return 'Public pages';
}

/** What a route's schema does not say about its success answer (status, media type, shape). */
const SUCCESS: Record<string, { status: string; type: string; schema: unknown; description: string }> = {
  'POST /api/signup': { status: '201', type: 'application/json', schema: { type: 'object' }, description: 'Signed up: the user, with the accounts session cookie set' },
  'GET /reset-password/{code}': { status: '200', type: 'text/html', schema: { type: 'string' }, description: 'The page to choose a new password' },
  'POST /reset-password/{code}': { status: '200', type: 'text/html', schema: { type: 'string' }, description: 'Password changed (HTML); 400 with an HTML page when the code or password is refused' },
  'GET /images/profile.png': { status: '200', type: 'image/png', schema: { type: 'string', contentMediaType: 'image/png' }, description: 'The default profile image' },
  'GET /health': { status: '200', type: 'application/json', schema: { type: 'object', properties: { status: { type: 'string' } }, examples: [{ status: 'ok' }] }, description: 'The server answers' },
  'GET /.well-known/jwks.json': {
    status: '200',
    type: 'application/json',
    schema: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: { type: 'object' } } } },
    description: 'The public keys (Ed25519) that verify accounts session cookies',
  },
};

/** Adds tags, security and the dialect's error answers to a route's schema (the document only). */
function describeRoute({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  const s = { ...(schema as Record<string, unknown>) };
  const dialect = dialectOf(url);
  const config = (route.config ?? {}) as { auth?: string; bb?: string };
  s.tags ??= [tagOf(url)];
  s.summary ??= `${String(route.method)} ${url}`;
  const responses: Record<string, unknown> = { ...((s.response as Record<string, unknown> | undefined) ?? {}) };
  const known = SUCCESS[`${String(route.method)} ${url}`];
  if (known && !responses[known.status]) responses[known.status] = { description: known.description, content: { [known.type]: { schema: known.schema } } };
  if (url.startsWith('/reset-password/')) responses['400'] ??= { description: 'Refused (an HTML page)', content: { 'text/html': { schema: { type: 'string' } } } };
  const ok = (description: string, body: unknown) => {
    if (!Object.keys(responses).some((k) => k.startsWith('2'))) responses['200'] = { description, content: { 'application/json': { schema: body } } };
  };
  if (dialect === 'toggl') {
    const security = togglSecurity(config.auth);
    if (security) s.security = security;
    ok('Success', {});
    responses['400'] ??= { description: 'Invalid input', content: { 'application/json': { schema: TOGGL_ERROR } } };
    if (security) {
      responses['401'] ??= { description: 'v9: no credentials (empty body, `X-Authorization-Missing: true`)' };
      responses['403'] ??= { description: 'Wrong credentials (v8: empty body), or a cross-site cookie request', content: { 'application/json': { schema: TOGGL_ERROR } } };
    }
    responses['413'] ??= { description: 'Body too large', content: { 'application/json': { schema: TOGGL_ERROR } } };
    responses['415'] ??= { description: 'Unsupported content type', content: { 'application/json': { schema: TOGGL_ERROR } } };
    responses['429'] ??= { description: 'Too many attempts (`Retry-After`)', content: { 'application/json': { schema: TOGGL_ERROR } } };
    responses['503'] ??= { description: 'Password hashing queue full (`Retry-After`)', content: { 'application/json': { schema: TOGGL_ERROR } } };
  } else if (dialect === 'bookingbug') {
    s.security = config.bb ? [{ appId: [], appKey: [], authToken: [] }, { appId: [], authToken: [] }] : [{ appId: [], appKey: [] }, { appId: [] }];
    ok('Success (a HAL document or a message)', { type: 'object' });
    for (const [code, description] of [
      ['400', 'Missing or invalid field'],
      ['401', 'Invalid App-Id or App-Key, wrong email or password, or no valid Auth-Token'],
      ['403', 'A company outside the application or token tree, or a disabled account'],
      ['404', 'Company not found'],
      ['413', 'Body or a field too large'],
      ['415', 'Unsupported content type'],
      ['429', 'Too many attempts (`Retry-After`)'],
      ['503', 'Password hashing queue full (`Retry-After`)'],
    ] as const) {
      responses[code] ??= { description, content: { 'application/json': { schema: BB_ERROR } } };
    }
  } else {
    ok('Success', {});
  }
  s.response = responses;
  return { schema: s as FastifySchema, url };
}

/**
 * The document and the page are large answers to GET requests that never read a body: a client that sends one
 * anyway (over the body limit) would see its connection reset in the middle of the answer, when the server
 * closes a socket with unread input. Such a request gets a short 400 instead.
 */
async function refuseBodies(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const length = req.headers['content-length'];
  if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) {
    await reply.code(400).header('Connection', 'close').send({ error: 'This request takes no body' });
  }
}

/** Registers the document, the reference page and the route inventory; call before any route is added. */
export async function registerOpenApi(app: FastifyInstance, core: Core): Promise<void> {
  app.decorate('routeInventory', []);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // Read when asked: an onRoute hook of an inner scope may still add the opt-out after this one ran.
    for (const method of methods) {
      app.routeInventory.push({
        method,
        url: route.url,
        get optOut() {
          return route.config?.openapiOptOut;
        },
      });
    }
  });
  const options: SwaggerOptions = {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gatehouse',
        version: '0.1.0',
        description:
          'Accounts and authentication speaking the Toggl Track (v9, accounts, v8) and BookingBug v1 dialects on one identity store. ' +
          'Each dialect answers errors in its own format; see the error responses of each route.',
      },
      servers: [{ url: core.config.publicUrl }],
      tags: [
        { name: 'Toggl v9', description: 'Toggl Track API v9 (/api/v9)' },
        { name: 'Toggl accounts', description: 'Toggl accounts service (/api)' },
        { name: 'Toggl v8', description: 'Toggl Track API v8 (/api/v8)' },
        { name: 'BookingBug v1', description: 'BookingBug / JRNI REST API v1 (/api/v1): App-Id, App-Key, Auth-Token' },
        { name: 'Public pages', description: 'Health, keys and the password reset page' },
        { name: 'Gateway', description: 'Forward-auth for the proxies in front of the protected API (docs/gateway.md)' },
      ],
      components: {
        securitySchemes: SECURITY_SCHEMES,
        schemas: { TogglError: TOGGL_ERROR, BookingBugError: BB_ERROR },
      },
    },
    transform: describeRoute,
  };
  await app.register(swagger, options);
  // The reference page and its assets, from the package; left out of the document with a reason.
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), openapiOptOut: 'the reference page and its assets' };
    });
    scope.addHook('onRequest', refuseBodies);
    await scope.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { deepLinking: true } });
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { openapiOptOut: 'the OpenAPI document itself' }, onRequest: refuseBodies }, async (_req, reply) => {
    return reply.type('application/json; charset=utf-8').send(app.swagger());
  });
}
