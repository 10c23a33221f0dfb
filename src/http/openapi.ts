// The API reference: an OpenAPI 3.1 document generated from the route schemas (@fastify/swagger) at
// GET /openapi.json, and a readable page at GET /docs (@fastify/swagger-ui, served from the package: no CDN),
// both from an instance of their own built on first use (see referenceBuilder).
// What the route schemas do not say is added here, in one place, from what each route declares: its dialect
// (by prefix), the credentials it takes (config.auth / config.bb) and so its security schemes, and the
// error bodies of its dialect. Every registered route is in the document unless it opts out with a reason
// (config.openapiOptOut); test/e2e/openapi.test.ts holds every route to that.
import type { SwaggerOptions } from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifySchema, type RouteOptions } from 'fastify';
import type { Core } from '../core/index.js';
import { BookingBugError } from './bookingbug/responses.js';
import { lazyCompilers } from './compilers.js';
import { PAGE_TAG } from './pages/schemas.js';
import { TogglError, TogglV8Error } from './toggl/responses.js';
import { JSON_UTF8 } from './json.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Why a route is left out of the OpenAPI document (e.g. a catch-all proxy). Without it, it must be documented. */
    openapiOptOut?: string;
  }
  interface FastifyInstance {
    /** Every route registered (method, URL, opt-out reason), for the "every route is documented" test. */
    routeInventory: Array<{ method: string; url: string; optOut: string | undefined }>;
    /** The OpenAPI document (GET /openapi.json), generated on first use. */
    openApiDocument(): Promise<Record<string, unknown>>;
  }
}

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
type Responses = Record<string, unknown>;

function togglSecurity(auth: string | undefined): Security | undefined {
  const basic: Security = [{ basicPassword: [] }, { basicApiToken: [] }];
  const cookies: Security = [{ accountsCookie: [] }, { apiSessionCookie: [] }];
  if (auth === 'any') return [...basic, ...cookies];
  if (auth === 'basic') return basic;
  if (auth === 'cookie') return cookies;
  return undefined;
}

type Dialect = 'v9' | 'v8' | 'accounts' | 'bookingbug' | 'gateway' | 'pages' | 'public';

function dialectOf(url: string, tags: readonly string[] | undefined): Dialect {
  if (url === '/api/v1' || url.startsWith('/api/v1/')) return 'bookingbug';
  if (url.startsWith('/api/v9/')) return 'v9';
  if (url.startsWith('/api/v8/')) return 'v8';
  if (url.startsWith('/api/')) return 'accounts';
  if (url.startsWith('/gateway/')) return 'gateway';
  return tags?.includes(PAGE_TAG) ? 'pages' : 'public';
}

const TAG: Record<Dialect, string> = {
  v9: 'Toggl v9',
  v8: 'Toggl v8',
  accounts: 'Toggl accounts',
  bookingbug: 'BookingBug v1',
  gateway: 'Gateway',
  pages: PAGE_TAG,
  public: 'Public pages',
};

const json = (schema: unknown) => ({ 'application/json': { schema } });
const HTML = { 'text/html': { schema: { type: 'string', description: 'An HTML page' } } };
const NO_BODY = { type: 'string', maxLength: 0 };
type Headers = Record<string, { type: 'string'; description: string }>;
/** A response without a body (@fastify/swagger writes no content for `type: 'null'`). */
const noBody = (description: string, headers?: Headers) => ({ type: 'null', description, ...(headers ? { headers } : {}) });
const RETRY_AFTER: Headers = { 'Retry-After': { type: 'string', description: 'Seconds to wait before trying again' } };
/** The `{error}` body outside the dialects (the gateway's own refusals, unknown assets). */
const PLAIN_ERROR = { type: 'object', required: ['error'], properties: { error: { type: 'string' } }, examples: [{ error: 'Not found' }] };

/** A route's own success schemas (TypeBox, serialized by Fastify) as OpenAPI responses with a description. */
function declared(schema: Record<string, unknown>, summary: string): Responses {
  const out: Responses = {};
  for (const [status, body] of Object.entries((schema.response as Responses | undefined) ?? {})) {
    const b = body as { content?: unknown; description?: string };
    out[status] = b.content ? b : { description: status.startsWith('2') ? summary : (b.description ?? 'See the schema'), content: json(body) };
  }
  return out;
}

/** Adds an error body to a status a route already documents (a login's 400 is an error or a company list). */
function withError(responses: Responses, status: string, description: string, error: unknown): void {
  const existing = responses[status] as { content?: Record<string, { schema: unknown }> } | undefined;
  const mine = existing?.content?.['application/json']?.schema;
  const headers = status === '429' || status === '503' ? { headers: RETRY_AFTER } : {};
  responses[status] = mine
    ? { ...existing, ...headers, description: `${description}; or: ${String((mine as { description?: string }).description ?? 'the documented answer')}`, content: json({ anyOf: [mine, error] }) }
    : { description, ...headers, content: json(error) };
}

function togglErrors(responses: Responses, generation: 'v9' | 'v8' | 'accounts', authenticated: boolean): void {
  // The dialect's error body with an example that fits the status.
  const err = (status: string, description: string, example: string) =>
    withError(responses, status, description, generation === 'v8' ? { ...TogglV8Error, examples: [[example]] } : { ...TogglError, examples: [example] });
  err('400', 'Invalid input: a malformed body or a refused value', 'Invalid email');
  if (authenticated && generation === 'v9') responses['401'] ??= noBody('No credentials (with `X-Authorization-Missing: true`)');
  if (generation === 'v8') responses['403'] ??= noBody('No, wrong or dead credentials, a disabled account, or a cross-site cookie request (v8: always an empty body)');
  else err('403', `${generation === 'accounts' ? 'No, wrong' : 'Wrong'} or dead credentials, a disabled account, or a cross-site cookie request`, 'Incorrect username and/or password');
  err('404', 'Not found', 'Not found');
  err('413', 'Body too large', 'Request body is too large');
  err('415', 'Unsupported content type', 'Unsupported content type, send application/json');
  err('429', 'Too many attempts or requests (`Retry-After`)', 'Too many failed login attempts, try again later');
  err('503', 'Password hashing queue full (`Retry-After`)', 'Too many password checks in progress, try again shortly');
}

function bookingBugErrors(responses: Responses): void {
  for (const [status, description] of [
    ['400', 'Missing or invalid field'],
    ['401', 'Invalid App-Id or App-Key, wrong email or password, or no valid Auth-Token'],
    ['403', 'A company outside the application or token tree, or a disabled account'],
    ['404', 'Company, administrator or member not found'],
    ['413', 'Body or a field too large'],
    ['415', 'Unsupported content type'],
    ['429', 'Too many attempts (`Retry-After`)'],
    ['503', 'Password hashing queue full (`Retry-After`)'],
  ] as const) {
    withError(responses, status, description, BookingBugError);
  }
}

/** The account pages answer with pages: a form, a redirect after success, the form again with its errors. */
function pageResponses(responses: Responses, method: string, url: string): void {
  if (url === '/assets/{file}' || url === '/assets/:file') {
    responses['200'] ??= {
      description: 'The asset',
      content: { 'text/css': { schema: { type: 'string' } }, 'text/javascript': { schema: { type: 'string' } }, 'image/*': { schema: { type: 'string' } } },
    };
    responses['404'] ??= { description: 'No such asset', content: json(PLAIN_ERROR) };
    return;
  }
  if (url !== '/') responses['200'] ??= { description: method === 'GET' ? 'The page' : 'The page again, with a message', content: HTML };
  responses['303'] ??= noBody('Done (or not signed in, or already signed in): go to `Location`', { Location: { type: 'string', description: 'The next page' } });
  const html = (status: string, description: string) => (responses[status] ??= { description, content: HTML });
  if (method !== 'GET' || url.startsWith('/reset-password')) html('400', 'The form again, with what to correct');
  if (method !== 'GET') {
    html('403', 'Anti-forgery token missing or wrong, a cross-origin post, or a disabled account');
    html('413', 'Form too large');
    html('415', 'Not a form');
    responses['429'] ??= { description: 'Too many attempts (`Retry-After`)', headers: RETRY_AFTER, content: HTML };
    responses['503'] ??= { description: 'Password hashing queue full (`Retry-After`)', headers: RETRY_AFTER, content: HTML };
  }
}

/** The forward-auth check answers 200 or the refusal of the dialect the original URI belongs to. */
function gatewayResponses(responses: Responses): void {
  const refusal = { anyOf: [TogglError, TogglV8Error, BookingBugError, NO_BODY] };
  responses['200'] ??= noBody('Allowed: the Gatehouse-* identity headers and Gatehouse-Assertion (docs/gateway.md)');
  responses['400'] ??= { description: 'No or ambiguous original request, or the refusal of a malformed request in its dialect', content: json({ anyOf: [PLAIN_ERROR, TogglError, TogglV8Error, BookingBugError] }) };
  for (const [status, description] of [
    ['401', 'Refused: no credentials (for nginx every refusal is a 401 with the sealed answer in `Gatehouse-Refusal`)'],
    ['403', 'Refused: wrong or dead credentials, or a route no rule allows'],
    ['404', 'Refused: a company the credentials cannot reach'],
    ['429', 'Refused: too many attempts (`Retry-After`)'],
    ['503', 'Refused: password hashing queue full (`Retry-After`)'],
  ] as const) {
    responses[status] ??= { description, content: json(refusal) };
  }
}

/** Adds tags, security and the dialect's error answers to a route's schema (the document only). */
function describeRoute({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  const s = { ...(schema as Record<string, unknown>) };
  const method = String(route.method);
  const dialect = dialectOf(url, s.tags as readonly string[] | undefined);
  const config = (route.config ?? {}) as { auth?: string; bb?: string };
  s.tags ??= [TAG[dialect]];
  s.summary ??= `${method} ${url}`;
  const responses = declared(s, String(s.summary));
  if (dialect === 'v9' || dialect === 'v8' || dialect === 'accounts') {
    const security = togglSecurity(config.auth);
    if (security) s.security = security;
    togglErrors(responses, dialect, security !== undefined);
  } else if (dialect === 'bookingbug') {
    s.security = config.bb ? [{ appId: [], appKey: [], authToken: [] }, { appId: [], authToken: [] }] : [{ appId: [], appKey: [] }, { appId: [] }];
    bookingBugErrors(responses);
  } else if (dialect === 'pages') {
    pageResponses(responses, method, url);
  } else if (dialect === 'gateway') {
    gatewayResponses(responses);
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

function documentOptions(core: Core): SwaggerOptions {
  return {
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
        { name: 'Public pages', description: 'Health, keys and the default profile image' },
        { name: PAGE_TAG, description: 'The account pages for people: HTML forms with anti-forgery tokens (sign up, sign in, password reset, the account page)' },
        { name: 'Gateway', description: 'Forward-auth for the proxies in front of the protected API (docs/gateway.md)' },
      ],
      components: {
        securitySchemes: SECURITY_SCHEMES,
        schemas: { TogglError, TogglV8Error, BookingBugError },
      },
    },
    transform: describeRoute,
  };
}

async function noAnswer(): Promise<void> {
  // Never called: the reference instance only describes the server's routes.
}

/**
 * The document and the reference page live in an instance of their own, built on the first request for either:
 * @fastify/swagger, swagger-ui and their modules (yaml, @fastify/static, ...) are not loaded at start and take
 * no memory in a server nobody asks for its reference (issue 9). It holds a copy of every documented route of
 * the server (schema and config, no handler), so the document is generated from the very same declarations.
 */
function referenceBuilder(core: Core, routes: RouteOptions[]): () => Promise<FastifyInstance> {
  let built: Promise<FastifyInstance> | undefined;
  return () =>
    (built ??= (async () => {
      const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([import('@fastify/swagger'), import('@fastify/swagger-ui')]);
      const reference = Fastify({ logger: false, exposeHeadRoutes: false, schemaController: lazyCompilers() });
      await reference.register(swagger, documentOptions(core));
      for (const r of routes) {
        const methods = (Array.isArray(r.method) ? r.method : [r.method]).filter((m) => m !== 'HEAD');
        if (methods.length === 0 || r.config?.openapiOptOut !== undefined) continue;
        reference.route({ method: methods, url: r.url, schema: r.schema ?? {}, config: r.config ?? {}, handler: noAnswer });
      }
      await reference.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { deepLinking: true } });
      await reference.ready();
      return reference;
    })());
}

/** Registers the document, the reference page and the route inventory; call before any route is added. */
export async function registerOpenApi(app: FastifyInstance, core: Core): Promise<void> {
  app.decorate('routeInventory', []);
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
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
  const reference = referenceBuilder(core, routes);
  app.decorate('openApiDocument', async () => (await reference()).swagger() as unknown as Record<string, unknown>);

  // The reference page and its assets, answered by the reference instance; left out of the document.
  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    const etag = req.headers['if-none-match'];
    const res = await (await reference()).inject({ method: req.method as 'GET' | 'HEAD', url: req.url, headers: etag === undefined ? {} : { 'if-none-match': etag } });
    const headers = { ...res.headers };
    for (const name of ['connection', 'transfer-encoding', 'content-length', 'keep-alive']) delete headers[name];
    return reply.code(res.statusCode).headers(headers).send(res.rawPayload.length > 0 ? res.rawPayload : undefined);
  };
  for (const url of ['/docs', '/docs/*']) {
    app.route({ method: ['GET', 'HEAD'], url, schema: { hide: true }, config: { openapiOptOut: 'the reference page and its assets' }, onRequest: refuseBodies, handler: page });
  }
  app.get('/openapi.json', { schema: { hide: true }, config: { openapiOptOut: 'the OpenAPI document itself' }, onRequest: refuseBodies }, async (_req, reply) => {
    return reply.type(JSON_UTF8).send(await app.openApiDocument());
  });
}
