// The path part of a request target (also read by the per-request record, which must not import the rest of
// the HTTP layer).

/**
 * The path part of a request target. HTTP/1.1 servers must accept the absolute form (`GET http://host/api/v9/me`,
 * RFC 9112 §3.2.2); Fastify routes it by its path, so dialect and generation are chosen by the path too.
 */
export function requestPath(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
}
