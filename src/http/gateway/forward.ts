// What goes to the upstream with a request the gateway let through: the client's headers without any
// Gatehouse-* header it sent, without its credentials (unless the rule passes them), with the identity
// headers and the signed assertion. Shared by the built-in proxy and the forward-auth answer.
import type { IncomingHttpHeaders } from 'node:http';
import { HEADER, identityHeaders, type AssertionSigner, type Identity } from '../../gateway/identity.js';
import type { Rule } from '../../gateway/rules.js';
import { ACCOUNTS_COOKIE, API_COOKIE } from '../toggl/cookies.js';

/** The credential headers a client sends; Cookie is filtered rather than removed (other cookies stay). */
export const CREDENTIAL_HEADERS = ['authorization', 'app-key', 'auth-token'] as const;

/** The forward-auth answer's names for the credential headers the upstream should receive. */
export const FORWARDED_HEADERS = ['gatehouse-forward-cookie', ...CREDENTIAL_HEADERS.map((h) => `gatehouse-forward-${h}`)];

const GATEHOUSE_COOKIES = new Set([ACCOUNTS_COOKIE, API_COOKIE]);

/** The Cookie header without Gatehouse's own cookies; undefined when nothing remains. */
export function cookiesWithoutGatehouse(cookie: string | undefined): string | undefined {
  if (cookie === undefined) return undefined;
  const kept = cookie
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c !== '' && !GATEHOUSE_COOKIES.has(c.slice(0, c.indexOf('=') >>> 0).trim()));
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/** Drops every header named Gatehouse-* (a client must never be able to claim an identity). */
export function dropGatehouseHeaders(headers: Record<string, unknown>): void {
  for (const name of Object.keys(headers)) if (name.toLowerCase().startsWith('gatehouse-')) delete headers[name];
}

export async function identityWithAssertion(signer: AssertionSigner, identity: Identity, method: string, path: string): Promise<Record<string, string>> {
  return { ...identityHeaders(identity), [HEADER.assertion]: await signer.sign(identity, method, path) };
}

/**
 * The credential headers the upstream should receive, as the forward-auth answer names them
 * (`Gatehouse-Forward-Authorization`, `-App-Key`, `-Auth-Token`, `-Cookie`): a proxy sets each credential
 * header of the upstream request from these, so an absent one means "send none".
 */
export function forwardedCredentials(headers: IncomingHttpHeaders, rule: Rule): Record<string, string> {
  const out: Record<string, string> = {};
  const cookie = typeof headers.cookie === 'string' ? headers.cookie : undefined;
  const keptCookie = rule.passCredentials ? cookie : cookiesWithoutGatehouse(cookie);
  if (keptCookie !== undefined) out['gatehouse-forward-cookie'] = keptCookie;
  if (rule.passCredentials) {
    for (const name of CREDENTIAL_HEADERS) {
      const v = headers[name];
      if (typeof v === 'string') out[`gatehouse-forward-${name}`] = v;
    }
  }
  return out;
}
