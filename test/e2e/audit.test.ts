// The audit log: security events are appended with time, account, client address and user agent,
// and carry no secret.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';
import { resetCodeIn, startSmtp, type SmtpProcess } from '../helpers/smtp.js';

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

describe('audit log: lockouts, password reset, operator and application events', () => {
  let smtp: SmtpProcess;
  let server: TestServer;
  before(async () => {
    smtp = await startSmtp();
    server = await startTestServer({
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Gatehouse <gate@example.com>',
      LOGIN_MAX_FAILURES: '2',
      LOGIN_ADDRESS_MAX_FAILURES: '4',
      TRUSTED_PROXIES: '127.0.0.1',
    });
  });
  after(async () => {
    await server.stop();
    await smtp.stop();
  });

  it('records account and address lockouts, reset request and completion, with time, account, address and user agent', async () => {
    const email = uniqueEmail('audit-lock');
    const from = (ip: string) => ({ 'user-agent': 'audit-test/2.0', 'x-forwarded-for': ip });
    const signup = await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD }, headers: from('198.51.100.7') });
    assert.equal(signup.status, 201, signup.text);
    const id = (signup.json as { id: number }).id;
    const cookie = signup.cookies['__Secure-accounts-session']?.value ?? '';
    for (let i = 0; i < 2; i++) {
      assert.equal((await request(server.url, '/api/sessions', { method: 'POST', json: { email, password: 'wrong-password-1' }, headers: from('198.51.100.7') })).status, 403);
    }
    assert.equal((await request(server.url, '/api/sessions', { method: 'POST', json: { email, password: GOOD_PASSWORD }, headers: from('198.51.100.7') })).status, 429);

    assert.equal((await request(server.url, '/api/password_reset', { method: 'POST', json: { email }, headers: from('198.51.100.8') })).status, 200);
    const code = resetCodeIn(await smtp.waitFor(email));
    const newPassword = 'harbor-violet-93-engine';
    const done = await request(server.url, `/api/password_reset/${code}`, { method: 'POST', json: { password: newPassword }, headers: from('198.51.100.8') });
    assert.equal(done.status, 200, done.text);

    const events = await server.core.store.auditOf(id);
    const names = events.map((e) => e.event);
    for (const expected of ['login.failure', 'login.lockout', 'password.reset.request', 'password.reset.complete']) {
      assert.ok(names.includes(expected), `audit log has ${expected}: ${names.join(', ')}`);
    }
    const lockout = events.find((e) => e.event === 'login.lockout');
    assert.equal(lockout?.ip, '198.51.100.7');
    assert.equal(events.find((e) => e.event === 'password.reset.complete')?.ip, '198.51.100.8');
    for (const e of events) {
      assert.ok(e.at > 0 && e.ip !== null, JSON.stringify(e));
      assert.equal(e.user_agent, 'audit-test/2.0');
      const all = JSON.stringify(e);
      for (const secret of [GOOD_PASSWORD, newPassword, code, cookie]) assert.ok(!all.includes(secret), `no secret in ${all}`);
    }

    // One address failing over many (unknown) emails: its cool-down is audited too, without an account.
    // (A random address: on PostgreSQL the audit log is shared with the other test files.)
    const lone = `2001:db8:a0d1::${randomBytes(2).toString('hex')}`;
    for (let i = 0; i < 4; i++) {
      await request(server.url, '/api/sessions', { method: 'POST', json: { email: uniqueEmail('nobody'), password: 'wrong-password-1' }, headers: from(lone) });
    }
    const byAddress = (await server.core.store.auditEvents(['login.lockout'])).filter((e) => e.ip === lone);
    assert.equal(byAddress.length, 1, JSON.stringify(byAddress));
    assert.equal(byAddress[0]?.account_id, null);
    assert.equal(byAddress[0]?.user_agent, 'audit-test/2.0');
    assert.deepEqual(JSON.parse(byAddress[0]?.detail ?? '{}'), { scope: 'address' });
  });

  it('records applications created and revoked by the operator, without the App-Key', async () => {
    const ctx = { ip: 'cli', userAgent: 'gatehouse-cli', operator: true };
    const company = await server.core.companies.create('Audit Co', undefined, ctx);
    const app = await server.core.applications.create(company.id, 'audit app', true, ctx);
    assert.ok(app.appKey);
    assert.equal(await server.core.applications.revoke(app.appId, ctx), true);
    const rows = (await server.core.store.auditEvents(['application.create', 'application.revoke'])).filter((e) => e.detail?.includes(app.appId));
    assert.deepEqual(
      rows.map((e) => e.event),
      ['application.create', 'application.revoke'],
    );
    for (const e of rows) {
      assert.ok(e.at > 0);
      assert.equal(e.ip, 'cli');
      assert.equal(e.user_agent, 'gatehouse-cli');
      assert.ok(!JSON.stringify(e).includes(app.appKey), 'no App-Key in the audit log');
    }
  });
});
