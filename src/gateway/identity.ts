// What the upstream learns about a caller the gateway let through: identity headers and
// `Gatehouse-Assertion`, a compact JWS (EdDSA, the server's current key, the same keys as
// /.well-known/jwks.json) over the same claims, 60 seconds long, for the configured audience.
import { randomBytes, sign } from 'node:crypto';
import type { Keyring } from '../core/keys.js';

export type AuthMethod = 'password' | 'api_token' | 'accounts_session' | 'api_session' | 'auth_token' | 'application' | 'none';

export interface Identity {
  /** The account's public id; absent for a request that names only an application, or a public rule. */
  accountId?: string | undefined;
  email?: string | undefined;
  authMethod: AuthMethod;
  companyId?: number | undefined;
  /** The administrator's role, or `member`. */
  role?: string | undefined;
  applicationId?: string | undefined;
}

export const ASSERTION_SECONDS = 60;

const base64url = (value: object): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** Every header name the gateway sets; a client's headers of these names (any Gatehouse-*) are removed. */
export const HEADER = {
  accountId: 'gatehouse-account-id',
  email: 'gatehouse-email',
  authMethod: 'gatehouse-auth-method',
  companyId: 'gatehouse-company-id',
  role: 'gatehouse-role',
  applicationId: 'gatehouse-application-id',
  assertion: 'gatehouse-assertion',
} as const;

export function identityHeaders(identity: Identity): Record<string, string> {
  const h: Record<string, string> = { [HEADER.authMethod]: identity.authMethod };
  if (identity.accountId !== undefined) h[HEADER.accountId] = identity.accountId;
  if (identity.email !== undefined) h[HEADER.email] = identity.email;
  if (identity.companyId !== undefined) h[HEADER.companyId] = String(identity.companyId);
  if (identity.role !== undefined) h[HEADER.role] = identity.role;
  if (identity.applicationId !== undefined) h[HEADER.applicationId] = identity.applicationId;
  return h;
}

export class AssertionSigner {
  constructor(
    private readonly keyring: Keyring,
    private readonly issuer: () => string,
    private readonly audience: string,
  ) {}

  /**
   * The assertion for one request (`htm`/`htu`: its method and path, so it cannot be replayed elsewhere
   * unnoticed). A compact JWS (RFC 7515) signed with node:crypto's Ed25519 directly: one is made per gateway
   * request, and jose's SignJWT (through WebCrypto) cost about three times the signature itself (issue 9).
   * Any JOSE library verifies it against /.well-known/jwks.json as before.
   */
  async sign(identity: Identity, method: string, path: string): Promise<string> {
    const { kid, key } = this.keyring.signingKey;
    const iat = Math.floor(Date.now() / 1000);
    const claims: Record<string, string | number> = { auth_method: identity.authMethod, htm: method, htu: path };
    if (identity.email !== undefined) claims.email = identity.email;
    if (identity.companyId !== undefined) claims.company_id = identity.companyId;
    if (identity.role !== undefined) claims.role = identity.role;
    if (identity.applicationId !== undefined) claims.application_id = identity.applicationId;
    claims.iss = this.issuer();
    claims.aud = this.audience;
    claims.iat = iat;
    claims.exp = iat + ASSERTION_SECONDS;
    claims.jti = randomBytes(12).toString('base64url');
    if (identity.accountId !== undefined) claims.sub = identity.accountId;
    const input = `${base64url({ alg: 'EdDSA', kid, typ: 'JWT' })}.${base64url(claims)}`;
    return `${input}.${sign(null, Buffer.from(input, 'ascii'), key).toString('base64url')}`;
  }
}
