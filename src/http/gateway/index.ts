// The gateway's HTTP side (docs/gateway.md):
//   - `/gateway/check` (any method; also `/gateway/check/<original path>` for Envoy): forward-auth for a
//     proxy the operator runs (nginx auth_request, Caddy forward_auth, Traefik ForwardAuth, Envoy ext_authz).
//     200 with the identity headers, or the dialect's refusal. nginx only understands 2xx/401/403 from an
//     auth subrequest, so when the request comes from nginx (X-Original-URI) a refusal is answered 401 with
//     `Gatehouse-Refusal`, a sealed copy of the real answer that nginx hands to `/gateway/refusal` to replay.
//   - with GATEWAY_UPSTREAM, the built-in reverse proxy: a catch-all route, so Gatehouse's own routes (more
//     specific, matched first by the router) keep answering; everything else is decided and forwarded.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { Core } from '../../core/index.js';
import { safeEqual } from '../../core/crypto.js';
import { AssertionSigner, HEADER } from '../../gateway/identity.js';
import { requestPath } from '../context.js';
import { decide, logDecision, sendRefusal, type Target } from './decide.js';
import { gatewayProxy } from './proxy.js';
import { undocumented } from './undocumented.js';
import { FORWARDED_HEADERS, forwardedCredentials, identityWithAssertion } from './forward.js';

export const CHECK_PATH = '/gateway/check';
export const REFUSAL_PATH = '/gateway/refusal';
const REFUSAL_HEADER = 'gatehouse-refusal';
const CHECK_HEADERS = [...Object.values(HEADER), ...FORWARDED_HEADERS];

function first(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The original request a proxy asks about: nginx, then Caddy/Traefik headers, then Envoy's path suffix.
 * A check carrying both nginx's and Caddy's/Traefik's header is refused: each proxy sets its own and passes
 * the client's headers on, so the other one came from the client (who would choose the URI checked).
 */
function targetOf(req: FastifyRequest): (Target & { nginx: boolean }) | 'ambiguous' | undefined {
  const nginxUri = first(req, 'x-original-uri');
  if (nginxUri && first(req, 'x-forwarded-uri')) return 'ambiguous';
  if (nginxUri) return { method: first(req, 'x-original-method') ?? req.method, url: nginxUri, nginx: true };
  const forwardedUri = first(req, 'x-forwarded-uri');
  if (forwardedUri) return { method: first(req, 'x-forwarded-method') ?? req.method, url: forwardedUri, nginx: false };
  const path = requestPath(req.url);
  if (path.startsWith(`${CHECK_PATH}/`)) return { method: req.method, url: path.slice(CHECK_PATH.length), nginx: false };
  return undefined;
}

/** A sealed refusal is replayed only this long after the check (nginx asks for it at once). */
const REFUSAL_TTL_MS = 60_000;

interface Sealed {
  s: number;
  h: Record<string, string>;
  b: string;
  /** When it was sealed (ms). */
  t: number;
}

function seal(core: Core, answer: Omit<Sealed, 't'>): string {
  const body = Buffer.from(JSON.stringify({ ...answer, t: core.clock.now() }), 'utf8').toString('base64url');
  return `${body}.${core.keyring.digest('gateway-refusal', body)}`;
}

function unseal(core: Core, sealed: string | undefined): Sealed | undefined {
  if (sealed === undefined || sealed.length > 8192) return undefined;
  const [body = '', mac = ''] = sealed.split('.');
  let ok = false;
  for (const d of core.keyring.digests('gateway-refusal', body)) ok = safeEqual(d, mac) || ok;
  if (!ok) return undefined;
  try {
    const answer = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Sealed;
    return typeof answer.t === 'number' && core.clock.now() - answer.t <= REFUSAL_TTL_MS ? answer : undefined;
  } catch {
    return undefined;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    gatewayNginx?: boolean;
  }
}

async function check(scope: FastifyInstance, core: Core, signer: AssertionSigner): Promise<void> {
  scope.decorateRequest('gatewayNginx', false);
  // The check never uses a body (proxies send none); one sent anyway is read within BODY_LIMIT_BYTES (413
  // beyond, like every route) and dropped.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: core.config.bodyLimit }, (_req, _body, done) => done(null, undefined));
  scope.setErrorHandler((err: FastifyError, req, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err: { type: err.name, code: err.code, message: err.message } }, 'unexpected error');
    return reply.code(status).send({ error: status === 413 ? 'Request body is too large' : status === 500 ? 'Internal server error' : err.message });
  });

  // nginx: a refusal becomes 401 + the sealed real answer (see above).
  scope.addHook('onSend', async (req, reply, payload) => {
    if (!req.gatewayNginx || reply.statusCode < 300) return payload;
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(reply.getHeaders())) {
      if (k !== 'content-length' && k !== 'cache-control' && v !== undefined) h[k] = String(v);
    }
    const b = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    reply.header('Gatehouse-Refusal', seal(core, { s: reply.statusCode, h, b }));
    reply.code(401);
    return payload;
  });

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const target = targetOf(req);
    req.gatewayNginx = first(req, 'x-original-uri') !== undefined;
    if (target === 'ambiguous') return reply.code(400).send({ error: 'Both X-Original-URI and X-Forwarded-Uri: one of them came from the client' });
    if (!target) return reply.code(400).send({ error: 'No original request: send X-Original-URI (nginx) or X-Forwarded-Uri (Caddy, Traefik)' });
    const d = await decide(core, req, target);
    logDecision(req, d, 'check');
    if (!d.ok) return sendRefusal(d.error, d.dialect, req, reply, target);
    const path = requestPath(target.url).split('?')[0] ?? '/';
    const answer: Record<string, string> = { ...(await identityWithAssertion(signer, d.identity, target.method.toUpperCase(), path)), ...forwardedCredentials(req.headers, d.rule) };
    // Every name is answered, empty when it does not apply: a proxy that copies named headers (Caddy 2.6's
    // copy_headers) would otherwise copy its unresolved placeholder; nginx and Caddy send no empty header.
    for (const name of CHECK_HEADERS) reply.header(name, answer[name] ?? '');
    return reply.code(200).header('Content-Length', '0').send();
  };
  // Documented once, as GET (what nginx and Caddy send); every other method answers the same (Envoy forwards
  // the original one), and /gateway/check/<path> is Envoy's form: those stay out of the OpenAPI document.
  scope.get(
    CHECK_PATH,
    {
      schema: {
        summary: 'Forward-auth check of a request an existing proxy is about to forward (docs/gateway.md)',
        description:
          'Reads the original method and URI from X-Original-Method/X-Original-URI (nginx auth_request) or X-Forwarded-Method/X-Forwarded-Uri/X-Forwarded-Host (Caddy forward_auth, Traefik ForwardAuth), applies the gateway rules and answers 200 with the Gatehouse-* identity headers and Gatehouse-Assertion, or the refusal of the dialect the URI belongs to. Any method is accepted.',
        tags: ['Gateway'],
      },
    },
    handler,
  );
  const otherMethods = scope.supportedMethods.filter((m) => m !== 'GET' && m !== 'HEAD') as HTTPMethods[];
  scope.route({ method: otherMethods, url: CHECK_PATH, ...undocumented('the forward-auth check under other methods: the same answer as GET /gateway/check'), handler });
  scope.route({ method: scope.supportedMethods as HTTPMethods[], url: `${CHECK_PATH}/*`, ...undocumented("Envoy's form of GET /gateway/check (the original path after the prefix)"), handler });

  // Replays a refusal sealed by the check (nginx's error_page location asks for it).
  scope.route({ method: scope.supportedMethods as HTTPMethods[], url: REFUSAL_PATH, ...undocumented("nginx's internal replay of a sealed refusal (docs/nginx/gatehouse.conf)"), handler: async (req, reply) => {
    const answer = unseal(core, first(req, REFUSAL_HEADER));
    if (!answer || !Number.isInteger(answer.s) || answer.s < 300 || answer.s > 599) return reply.code(400).send({ error: 'Invalid Gatehouse-Refusal' });
    reply.code(answer.s).headers(answer.h);
    return reply.send(answer.b);
  } });
}


/** Registers the gateway: the forward-auth endpoints always, the built-in proxy when GATEWAY_UPSTREAM is set. */
export async function gateway(app: FastifyInstance, core: Core): Promise<void> {
  const signer = new AssertionSigner(core.keyring, () => core.config.publicUrl, core.config.gateway.audience);
  app.decorateRequest('gatewayRule', undefined);
  await app.register(async (scope) => check(scope, core, signer));
  const upstream = core.config.gateway.upstream;
  if (upstream !== undefined) {
    // Loaded only when there is an upstream (issue 9: reply-from and undici were a large share of start-up).
    const { default: replyFrom } = await import('@fastify/reply-from');
    await app.register(async (scope) => {
      await scope.register(replyFrom, {
        base: upstream,
        disableRequestLogging: true,
        undici: { headersTimeout: core.config.gateway.upstreamTimeoutMs, bodyTimeout: core.config.gateway.upstreamTimeoutMs, connections: 128 },
      });
      await gatewayProxy(scope, core, signer);
    });
  }
}
