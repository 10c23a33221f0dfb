// The core's view of a request: the client address (from the socket; proxies are not trusted unless
// configured) and the user agent.
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../core/context.js';

export function requestContext(req: FastifyRequest): RequestContext {
  const ua = req.headers['user-agent'];
  return { ip: req.ip, userAgent: typeof ua === 'string' ? ua : undefined };
}

/**
 * The path part of a request target. HTTP/1.1 servers must accept the absolute form (`GET http://host/api/v9/me`,
 * RFC 9112 §3.2.2); Fastify routes it by its path, so dialect and generation are chosen by the path too.
 */
export function requestPath(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
}
