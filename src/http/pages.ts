// What the server publishes outside the dialects: the JWKS that verifies session cookies, a health check,
// the default profile image, and the small page a reset mail links to (a GET never uses up the code).
import type { FastifyError, FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Core } from '../core/index.js';
import { CoreError } from '../core/errors.js';
import { requestContext } from './context.js';

// A 1x1 transparent PNG.
const PROFILE_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

const CodeParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9]+$' }) });
type CodeParams = Static<typeof CodeParams>;
const ResetForm = Type.Object({ password: Type.String({ maxLength: 1024 }), confirm: Type.Optional(Type.String({ maxLength: 1024 })) });
type ResetForm = Static<typeof ResetForm>;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:28rem;margin:3rem auto"><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

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

  await app.register(async (scope) => {
    await scope.register(import('@fastify/formbody'), { bodyLimit: 4096 });
    const headers = { 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'", 'Referrer-Policy': 'no-referrer' };

    scope.get<{ Params: CodeParams }>('/reset-password/:code', { schema: { params: CodeParams } }, async (req, reply) => {
      const form = `<form method="post" action="${escapeHtml(req.params.code)}"><p><label>New password<br><input type="password" name="password" autocomplete="new-password" required minlength="${core.config.password.minLength}"></label></p><p><button type="submit">Set password</button></p></form>`;
      return reply.headers(headers).type('text/html; charset=utf-8').send(page('Choose a new password', form));
    });

    scope.post<{ Params: CodeParams; Body: ResetForm }>('/reset-password/:code', { schema: { params: CodeParams, body: ResetForm } }, async (req, reply) => {
      reply.headers(headers).type('text/html; charset=utf-8');
      try {
        await core.resets.complete(req.params.code, req.body.password, 'accounts', requestContext(req));
        return reply.send(page('Password changed', '<p>Your password has been changed and every session has been signed out. You can sign in with the new password now.</p>'));
      } catch (err) {
        if (!(err instanceof CoreError)) throw err;
        return reply.code(400).send(page('Password not changed', `<p>${escapeHtml(err.message)}</p>`));
      }
    });
    scope.setErrorHandler((err: FastifyError, _req, reply) => {
      const status = typeof err.statusCode === 'number' && err.statusCode < 500 ? err.statusCode : 500;
      return reply.code(status).headers(headers).type('text/html; charset=utf-8').send(page('Request not accepted', `<p>${status < 500 ? 'The form was not filled in correctly.' : 'Something went wrong.'}</p>`));
    });
  });
}
