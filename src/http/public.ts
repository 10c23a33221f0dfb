// What the server publishes outside the dialects and the account pages: the JWKS that verifies session
// cookies, a health check and the default profile image. (The reset page moved to src/http/pages/.)
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Core } from '../core/index.js';

const Jwks = Type.Object(
  {
    keys: Type.Array(
      Type.Object({ kty: Type.String(), crv: Type.String(), x: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String() }, { additionalProperties: true }),
    ),
  },
  { additionalProperties: false, examples: [{ keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1', alg: 'EdDSA', use: 'sig' }] }] },
);
const Health = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false, examples: [{ status: 'ok' }] });
const PUBLIC = ['Public pages'];

// A 1x1 transparent PNG.
const PROFILE_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

export async function publicPages(app: FastifyInstance, core: Core): Promise<void> {
  app.get('/.well-known/jwks.json', { schema: { summary: 'The public keys (Ed25519) that verify accounts session cookies and gateway assertions', tags: PUBLIC, response: { 200: Jwks } } }, async (_req, reply) => {
    reply.header('Cache-Control', 'public, max-age=300');
    return core.keyring.jwks();
  });

  app.get('/health', { schema: { summary: 'The server answers and its database is reachable', tags: PUBLIC, response: { 200: Health } } }, async () => {
    await core.store.ping();
    return { status: 'ok' };
  });

  app.get(
    '/images/profile.png',
    { schema: { summary: 'The default profile image', tags: PUBLIC, response: { 200: { description: 'A PNG image', content: { 'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } } } } } } },
    async (_req, reply) => reply.type('image/png').header('Cache-Control', 'public, max-age=86400').send(PROFILE_PNG));
}
