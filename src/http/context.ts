// The core's view of a request: the client address (from the socket; proxies are not trusted unless
// configured) and the user agent.
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../core/context.js';

export function requestContext(req: FastifyRequest): RequestContext {
  const ua = req.headers['user-agent'];
  return { ip: req.ip, userAgent: typeof ua === 'string' ? ua : undefined };
}
