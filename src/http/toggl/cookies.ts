// The two Toggl session cookies: `__Secure-accounts-session` (a JWS around an accounts session token)
// and `toggl_api_session_new` (an opaque API session token, 24 hours). Attributes follow security.md;
// `Secure` is set only when the public URL is https (see README: plain-http development).
import type { FastifyReply } from 'fastify';
import type { Config } from '../../config.js';

export const ACCOUNTS_COOKIE = '__Secure-accounts-session';
export const API_COOKIE = 'toggl_api_session_new';

export function setAccountsCookie(reply: FastifyReply, config: Config, value: string, maxAge: number | undefined): void {
  reply.setCookie(ACCOUNTS_COOKIE, value, {
    path: '/',
    httpOnly: true,
    secure: config.secureCookies,
    sameSite: 'lax',
    ...(maxAge === undefined ? {} : { maxAge }),
  });
}

export function setApiCookie(reply: FastifyReply, config: Config, value: string, maxAge: number): void {
  reply.setCookie(API_COOKIE, value, {
    path: '/',
    httpOnly: true,
    secure: config.secureCookies,
    sameSite: 'lax',
    maxAge,
    expires: new Date(Date.now() + maxAge * 1000),
  });
}

export function clearCookie(reply: FastifyReply, config: Config, name: string): void {
  reply.setCookie(name, '', { path: '/', httpOnly: true, secure: config.secureCookies, sameSite: 'lax', maxAge: 0, expires: new Date(0) });
}

/** Account closed: both session cookies go. */
export function clearAllCookies(reply: FastifyReply, config: Config): void {
  clearCookie(reply, config, ACCOUNTS_COOKIE);
  clearCookie(reply, config, API_COOKIE);
}
