// Cookies read and written without a plugin hook (issue 9: @fastify/cookie parses on every request, in an
// onRequest hook, and writes in an onSend hook, on every route). Parsing and serialising are the `cookie`
// library's; a route reads the Cookie header when it needs it, and a Set-Cookie goes straight to the reply.
// (@fastify/cookie stays inside the account pages, whose anti-forgery plugin is built on it.)
import { parseCookie, stringifySetCookie, type SetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

export type CookieAttributes = Omit<SetCookie, 'name' | 'value'>;

const NONE: Readonly<Record<string, string | undefined>> = Object.freeze({});

/** The request's cookies by name (the first of a repeated name); empty without a Cookie header. */
export function requestCookies(req: FastifyRequest): Readonly<Record<string, string | undefined>> {
  const header = req.headers.cookie;
  return header ? parseCookie(header) : NONE;
}

/** The Set-Cookie text of a cookie. */
export function setCookieText(name: string, value: string, attributes: CookieAttributes): string {
  return stringifySetCookie({ name, value, ...attributes });
}

/** Adds a Set-Cookie to the answer, replacing one this answer already sets for the same name. */
export function setCookie(reply: FastifyReply, name: string, value: string, attributes: CookieAttributes): void {
  const text = setCookieText(name, value, attributes);
  const set = reply.getHeader('set-cookie');
  const others = (set === undefined ? [] : Array.isArray(set) ? set : [String(set)]).filter((c) => !c.startsWith(`${name}=`));
  if (others.length > 0) reply.removeHeader('set-cookie');
  for (const c of others) reply.header('set-cookie', c);
  reply.header('set-cookie', text);
}
