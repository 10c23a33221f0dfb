// The built-in reverse proxy (GATEWAY_UPSTREAM): a catch-all route in its own scope. Each request is decided
// on arrival (before its body is read); a refused one is answered in its dialect's format and never reaches
// the upstream. An allowed one is forwarded with @fastify/reply-from (undici): the body is streamed both ways
// (the scope's only body parser hands Fastify's raw stream on), hop-by-hop headers are dropped,
// X-Forwarded-For/-Proto/-Host are set, and the upstream's answer is passed on as it came.
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { Core } from '../../core/index.js';
import type { AssertionSigner } from '../../gateway/identity.js';
import type { Rule } from '../../gateway/rules.js';
import { BookingBugError } from '../bookingbug/errors.js';
import { requestPath } from '../context.js';
import { TogglError } from '../toggl/errors.js';
import { decide, logDecision, PlainError, sendRefusal, type Dialect } from './decide.js';
import { undocumented } from './undocumented.js';
import { CREDENTIAL_HEADERS, cookiesWithoutGatehouse, dropGatehouseHeaders, identityWithAssertion } from './forward.js';

declare module 'fastify' {
  interface FastifyRequest {
    gateway?: { rule: Rule; dialect: Dialect; headers: Record<string, string>; upstreamCacheControl: boolean };
  }
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and those undici sets itself. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'expect'];

function dropHopByHop(headers: Record<string, unknown>): void {
  const listed = typeof headers.connection === 'string' ? headers.connection.split(',').map((s) => s.trim().toLowerCase()) : [];
  for (const name of [...HOP_BY_HOP, ...listed]) delete headers[name];
}

function gatewayError(status: 502 | 504, dialect: Dialect): Error {
  const message = status === 504 ? 'Gateway timeout' : 'Bad gateway';
  if (dialect === 'toggl') return new TogglError(status, message);
  if (dialect === 'bookingbug') return new BookingBugError(status, message);
  return new PlainError(status, message);
}

function upstreamRequestHeaders(core: Core, req: FastifyRequest, headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const g = req.gateway;
  const out: Record<string, string | string[] | undefined> = { ...headers };
  dropHopByHop(out);
  dropGatehouseHeaders(out);
  if (!g?.rule.passCredentials) {
    for (const name of CREDENTIAL_HEADERS) delete out[name];
    const cookie = cookiesWithoutGatehouse(typeof headers.cookie === 'string' ? headers.cookie : undefined);
    if (cookie === undefined) delete out.cookie;
    else out.cookie = cookie;
  }
  const socketAddress = req.socket.remoteAddress ?? '';
  const prior = core.config.trustedProxies.length > 0 ? req.headers['x-forwarded-for'] : undefined;
  out['x-forwarded-for'] = typeof prior === 'string' && prior !== '' ? `${prior}, ${socketAddress}` : socketAddress;
  out['x-forwarded-proto'] = req.protocol;
  out['x-forwarded-host'] = req.host;
  return { ...out, ...(g?.headers ?? {}) };
}

export async function gatewayProxy(scope: FastifyInstance, core: Core, signer: AssertionSigner): Promise<void> {
  scope.decorateRequest('gateway', undefined);
  // Bodies are not parsed: Fastify's raw request stream goes to the upstream as it arrives.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  scope.addHook('onRequest', async (req, reply) => {
    const target = { method: req.method, url: req.url };
    const d = await decide(core, req, target);
    logDecision(req, d, 'proxy');
    if (!d.ok) return sendRefusal(d.error, d.dialect, req, reply, target);
    const path = requestPath(req.url).split('?')[0] ?? '/';
    req.gateway = { rule: d.rule, dialect: d.dialect, headers: await identityWithAssertion(signer, d.identity, req.method, path), upstreamCacheControl: false };
    return undefined;
  });

  // The server's default Cache-Control: no-store (app.ts) is not ours to add to the upstream's answers.
  scope.addHook('onSend', async (req, reply, payload) => {
    if (req.gateway && reply.statusCode < 500 && !req.gateway.upstreamCacheControl) reply.removeHeader('cache-control');
    return payload;
  });

  scope.setErrorHandler((err, req, reply) => {
    const dialect = req.gateway?.dialect ?? 'plain';
    const status = (err as { statusCode?: number }).statusCode;
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('FST_REPLY_FROM') || code.startsWith('UND_ERR') || code === 'ECONNRESET') {
      return sendRefusal(gatewayError(status === 504 ? 504 : 502, dialect), dialect, req, reply, { method: req.method, url: req.url });
    }
    return sendRefusal(err, dialect, req, reply, { method: req.method, url: req.url });
  });

  const handler = (req: FastifyRequest, reply: FastifyReply) =>
    reply.from(req.url, {
      rewriteRequestHeaders: (r, headers) => upstreamRequestHeaders(core, r as FastifyRequest, headers),
      rewriteHeaders: (headers, r) => {
        const out: Record<string, unknown> = { ...headers };
        dropHopByHop(out);
        const g = (r as FastifyRequest | undefined)?.gateway;
        if (g) g.upstreamCacheControl = out['cache-control'] !== undefined;
        return out as typeof headers;
      },
      // An upstream's answer, even a 503, is passed on as it came: no retries.
      retryDelay: () => null,
    });
  // Every method of every path, but Gatehouse's own routes win: a method already routed on `/` (the account
  // pages' GET /) is left to its route.
  for (const url of ['/', '/*']) {
    const free = scope.supportedMethods.filter((method) => !scope.hasRoute({ method: method as HTTPMethods, url }));
    if (free.length > 0) scope.route({ method: free as HTTPMethods[], url, ...undocumented('the built-in proxy: every path the gateway rules let through, answered by the upstream'), handler });
  }
}
