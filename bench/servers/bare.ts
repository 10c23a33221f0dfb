// The ceiling: a bare Fastify 5 route returning the same small user JSON as Gatehouse's GET /api/v9/me,
// no credential, no store. Run as its own process by the bench.
import Fastify from 'fastify';

const user = {
  id: 1,
  api_token: '0123456789abcdef0123456789abcdef',
  email: 'bench@example.com',
  fullname: 'bench',
  timezone: 'UTC',
  toggl_accounts_id: 'uWzQ3bZ8l5yYbJk1N3xYtA',
  default_workspace_id: 1,
  beginning_of_week: 1,
  image_url: 'http://127.0.0.1/static/profile.png',
  created_at: '2026-11-27T10:00:00.000Z',
  updated_at: '2026-11-27T10:00:00.000Z',
  openid_email: null,
  openid_enabled: false,
  country_id: null,
  has_password: true,
  at: '2026-11-27T10:00:00.000Z',
  intercom_hash: null,
  oauth_providers: [],
  authorization_updated_at: '2026-11-27T10:00:00.000Z',
};

const app = Fastify({ logger: false });
app.get('/me', async () => user);
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening on ${address}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
