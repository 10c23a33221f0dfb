// The core's view of a request: the client address (from the socket; proxies are not trusted unless
// configured), the user agent, and where the core notes this request's authentication decisions.
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../core/context.js';
import { authNoteOf } from '../observe/request-record.js';

export { requestPath } from './path.js';

export function requestContext(req: FastifyRequest): RequestContext {
  const ua = req.headers['user-agent'];
  return { ip: req.ip, userAgent: typeof ua === 'string' ? ua : undefined, note: authNoteOf(req) };
}
