// What keeps the account pages safe to use in a browser: response headers (no framing, no inline script,
// no sniffing, no referrer), the same-origin check on every form post (on top of the anti-forgery token),
// and the one rule for `return_to` (a path on this origin, nothing else).
import type { FastifyReply, FastifyRequest } from 'fastify';

export const PAGE_HEADERS: Record<string, string> = {
  // No inline script or style: every script and style sheet is a file under /assets/.
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  // The reset page's URL carries the code: never send it to another origin. (Not no-referrer: with it, browsers
  // send `Origin: null` on our own form posts, which the same-origin check must refuse.)
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

export function setPageHeaders(reply: FastifyReply): void {
  for (const [k, v] of Object.entries(PAGE_HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
}

/**
 * A form post that a browser says came from elsewhere: `Sec-Fetch-Site` other than same-origin (or none: typed
 * or bookmarked), or an `Origin` that is neither the public URL's origin nor the origin the request was sent
 * to (the Host header, for a server reached under another name such as localhost). Requests without either
 * header (curl, old browsers) pass here and still need the anti-forgery token.
 */
export function crossOriginPost(req: FastifyRequest, publicUrl: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  if (typeof origin !== 'string' || origin === '' || origin === 'null') return true;
  let originUrl: URL;
  try {
    originUrl = new URL(origin);
  } catch {
    return true;
  }
  if (originUrl.origin === new URL(publicUrl).origin) return false;
  const host = req.headers.host;
  return !(typeof host === 'string' && host !== '' && originUrl.host === host.toLowerCase() && originUrl.origin === origin.toLowerCase());
}

/** A same-origin path to go to after sign-in, or undefined: no scheme, no host, no `//`, no backslash. */
export function safeReturnTo(value: string | undefined, publicUrl: string): string | undefined {
  if (value === undefined || value === '' || value.length > 2048) return undefined;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return undefined;
  try {
    const base = new URL(publicUrl);
    const u = new URL(value, base);
    if (u.origin !== base.origin) return undefined;
    return u.pathname + u.search;
  } catch {
    return undefined;
  }
}
