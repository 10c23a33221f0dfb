// What the server publishes outside the dialects and the account pages: the JWKS that verifies session
// cookies, a health check and the default profile image. (The reset page moved to src/http/pages/.)
import type { FastifyInstance } from 'fastify';
import type { Core } from '../core/index.js';

// A 1x1 transparent PNG.
const PROFILE_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

export async function publicPages(app: FastifyInstance, core: Core): Promise<void> {
  app.get('/.well-known/jwks.json', async (_req, reply) => {
    reply.header('Cache-Control', 'public, max-age=300');
    return core.keyring.jwks();
  });

  app.get('/health', async () => {
    await core.store.ping();
    return { status: 'ok' };
  });

  app.get('/images/profile.png', async (_req, reply) => reply.type('image/png').header('Cache-Control', 'public, max-age=86400').send(PROFILE_PNG));
}
