// The two Toggl session cookies: `__Secure-accounts-session` (a JWS around an accounts session token)
// and `toggl_api_session_new` (an opaque API session token, 24 hours). Attributes follow security.md;
// `Secure` is set over https; the `__Secure-` accounts cookie also on http://localhost (a secure context for
// browsers and curl, see README), while the unprefixed v8 cookie stays without it on plain http for old clients.
import type { FastifyReply } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { Config } from '../../config.js';
import { setCookie, setCookieText } from '../cookies.js';

export const ACCOUNTS_COOKIE = '__Secure-accounts-session';
export const API_COOKIE = 'toggl_api_session_new';

/** `Secure` for a cookie: the `__Secure-` one gets it in every secure context (https, and http on loopback). */
function secureFor(config: Config, name: string): boolean {
  return name.startsWith('__Secure-') || name.startsWith('__Host-') ? config.secureContext : config.secureCookies;
}

export function setAccountsCookie(reply: FastifyReply, config: Config, value: string, maxAge: number | undefined): void {
  setCookie(reply, ACCOUNTS_COOKIE, value, {
    path: '/',
    httpOnly: true,
    secure: secureFor(config, ACCOUNTS_COOKIE),
    sameSite: 'lax',
    ...(maxAge === undefined ? {} : { maxAge }),
  });
}

/**
 * The Set-Cookie text of an API session cookie, made once per token and remaining lifetime (whole seconds):
 * a Basic v8 client gets the same session back on every call (issue 9), and serialising the cookie again
 * was a few per cent of the call.
 */
const apiCookieTexts = new LRUCache<string, { maxAge: number; text: string }>({ max: 1000 });

export function setApiCookie(reply: FastifyReply, config: Config, value: string, maxAge: number): void {
  let made = apiCookieTexts.get(value);
  if (made?.maxAge !== maxAge) {
    const options = { path: '/', httpOnly: true, secure: config.secureCookies, sameSite: 'lax', maxAge, expires: new Date(Date.now() + maxAge * 1000) } as const;
    made = { maxAge, text: setCookieText(API_COOKIE, value, options) };
    apiCookieTexts.set(value, made);
  }
  // Fastify keeps every Set-Cookie header given to reply.header (this answer sets no other API cookie).
  reply.header('set-cookie', made.text);
}

export function clearCookie(reply: FastifyReply, config: Config, name: string): void {
  setCookie(reply, name, '', { path: '/', httpOnly: true, secure: secureFor(config, name), sameSite: 'lax', maxAge: 0, expires: new Date(0) });
}

/** Account closed: both session cookies go. */
export function clearAllCookies(reply: FastifyReply, config: Config): void {
  clearCookie(reply, config, ACCOUNTS_COOKIE);
  clearCookie(reply, config, API_COOKIE);
}
