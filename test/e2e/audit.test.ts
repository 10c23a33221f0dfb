// The audit log: security events are appended with time, account, client address and user agent,
// and carry no secret.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';

describe('audit log', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  it('records each security event of an account, with address and user agent, without secrets', async () => {
    const email = uniqueEmail('audit');
    const ua = { 'user-agent': 'audit-test/1.0' };
    const signup = await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD }, headers: ua });
    assert.equal(signup.status, 201);
    const id = (signup.json as { id: number }).id;
    const cookie = `__Secure-accounts-session=${signup.cookies['__Secure-accounts-session']?.value}`;

    assert.equal((await request(server.url, '/api/v9/me', { auth: [email, 'wrong-password-1'], headers: ua })).status, 403);
    const login = await request(server.url, '/api/sessions', { method: 'POST', json: { email, password: GOOD_PASSWORD }, headers: ua });
    assert.equal(login.status, 200);
    const newPassword = 'quartz-meadow-58-signal';
    const changed = await request(server.url, '/api/v9/me', { method: 'PUT', cookie, json: { current_password: GOOD_PASSWORD, password: newPassword }, headers: ua });
    assert.equal(changed.status, 200, changed.text);
    const token = await request(server.url, '/api/v9/me/reset_token', { method: 'POST', cookie, headers: ua });
    assert.equal(token.status, 200);
    assert.equal((await request(server.url, '/api/sessions', { method: 'DELETE', cookie, headers: ua })).status, 200);
    const again = await request(server.url, '/api/sessions', { method: 'POST', json: { email, password: newPassword }, headers: ua });
    const cookie2 = `__Secure-accounts-session=${again.cookies['__Secure-accounts-session']?.value}`;
    assert.equal((await request(server.url, '/api/close_account', { method: 'POST', cookie: cookie2, headers: ua })).status, 200);

    const events = await server.core.store.auditOf(id);
    const names = events.map((e) => e.event);
    for (const expected of ['signup', 'login.failure', 'login.success', 'password.change', 'api_token.reset', 'logout', 'account.close']) {
      assert.ok(names.includes(expected), `audit log has ${expected}: ${names.join(', ')}`);
    }
    for (const e of events) {
      assert.equal(e.ip, '127.0.0.1');
      assert.equal(e.user_agent, 'audit-test/1.0');
      assert.ok(e.at > 0);
      const all = JSON.stringify(e);
      for (const secret of [GOOD_PASSWORD, newPassword, JSON.parse(token.text) as string]) assert.ok(!all.includes(secret), `no secret in ${all}`);
    }
  });
});
