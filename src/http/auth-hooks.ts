// The shape every credential-checking onRequest hook shares (issue 9): memory first, without a promise, and
// the full check for everything else. Both dialects build their hooks from these two pieces.
import type { FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';

/**
 * A callback onRequest hook: `inMemory` answers only what memory vouches for, synchronously; `full` decides
 * everything else (every miss, and every refusal, thrown). `keep` stores the answer on the request. The usual
 * request, whose credential memory knows, pays no promise.
 */
export function memoryFirst<T>(inMemory: (req: FastifyRequest) => T | undefined, full: (req: FastifyRequest) => Promise<T>, keep: (req: FastifyRequest, value: T) => void): onRequestHookHandler {
  return (req, _reply, done) => {
    const known = inMemory(req);
    if (known !== undefined) {
      keep(req, known);
      done();
      return;
    }
    full(req).then((value) => {
      keep(req, value);
      done();
    }, done);
  };
}

/**
 * Makes `hook` a route's first onRequest hook, from an onRoute hook (as a dialect-wide hook would run). A new
 * array, so the HEAD twin Fastify makes of a GET gets its own.
 */
export function prependOnRequest(route: RouteOptions, hook: onRequestHookHandler): void {
  route.onRequest = [hook, ...(route.onRequest === undefined ? [] : [route.onRequest].flat())];
}
