// One person, one password across dialects, and the BookingBug password reset (spec bookingbug.md §4, §6,
// §7): a Toggl password change or account closure kills Auth-Tokens; a BookingBug reset (code read from the
// mail a real SMTP server received) kills Toggl sessions and Auth-Tokens alike.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admin, application, bb, company, login, member, type App } from '../helpers/bookingbug.js';
import { request } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';
import { resetCodeIn, startSmtp, type SmtpProcess } from '../helpers/smtp.js';

const ACCOUNTS_COOKIE = '__Secure-accounts-session';
const NEW_PASSWORD = 'harbor-violet-93-engine';

describe('BookingBug and Toggl share one identity', () => {
  let smtp: SmtpProcess;
  let server: TestServer;
  let app: App;
  let root: number;
  let child: number;

  before(async () => {
    smtp = await startSmtp();
    server = await startTestServer({ SMTP_URL: smtp.url, MAIL_FROM: 'Gatehouse <gate@example.com>', PUBLIC_URL: 'http://127.0.0.1:1' });
    root = await company(server, 'Identity');
    child = await company(server, 'Identity child', root);
    app = await application(server, root);
  });
  after(async () => {
    await server.stop();
    await smtp.stop();
  });

  /** A Toggl sign-up (with its accounts cookie) who is then made an administrator of `companyId`. */
  async function togglUserWhoAdministers(companyId: number, tag: string): Promise<{ email: string; cookie: string }> {
    const email = uniqueEmail(tag);
    const signup = await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD, display_name: 'Both' } });
    assert.equal(signup.status, 201, signup.text);
    await admin(server, companyId, email);
    return { email, cookie: `${ACCOUNTS_COOKIE}=${signup.cookies[ACCOUNTS_COOKIE]?.value}` };
  }

  const companyPage = (token: string) => bb(server, `/admin/${root}/company`, { app, token });

  it('every href and `path` is built from PUBLIC_URL, never from the Host header', async () => {
    const email = uniqueEmail('bb-public-url');
    await admin(server, root, email);
    const res = await bb(server, '/login/admin', { app, body: { email, password: GOOD_PASSWORD }, headers: { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' } });
    assert.equal(res.status, 200, res.text);
    const expected = 'http://127.0.0.1:1/api/v1';
    assert.equal((res.json as { path: string }).path, expected);
    const hrefs = [...res.text.matchAll(/"href":"([^"]*)"/g)].map((m) => m[1] ?? '');
    assert.ok(hrefs.length >= 7, res.text);
    for (const href of hrefs) assert.ok(href.startsWith(`${expected}/`), href);
  });

  it('a Toggl password change kills the Auth-Tokens; the new password works in both dialects', async () => {
    const { email } = await togglUserWhoAdministers(root, 'both-change');
    const a = await login(server, app, '/login/admin', { email, password: GOOD_PASSWORD });
    assert.equal((await companyPage(a.auth_token)).status, 200);
    const change = await request(server.url, '/api/v9/me', { method: 'PUT', auth: [email, GOOD_PASSWORD], json: { current_password: GOOD_PASSWORD, password: NEW_PASSWORD } });
    assert.equal(change.status, 200, change.text);
    const dead = await companyPage(a.auth_token);
    assert.equal(dead.status, 401);
    assert.deepEqual(dead.json, { error: '401 Unauthorized' });
    assert.equal((await bb(server, '/login/admin', { app, body: { email, password: GOOD_PASSWORD } })).status, 401);
    const b = await login(server, app, '/login/admin', { email, password: NEW_PASSWORD });
    assert.equal((await companyPage(b.auth_token)).status, 200);
  });

  it('closing the account (Toggl) kills the Auth-Tokens and the BookingBug login', async () => {
    const { email, cookie } = await togglUserWhoAdministers(root, 'both-close');
    const a = await login(server, app, '/login/admin', { email, password: GOOD_PASSWORD });
    const closed = await request(server.url, '/api/close_account', { method: 'POST', cookie });
    assert.equal(closed.status, 200, closed.text);
    assert.equal((await companyPage(a.auth_token)).status, 401);
    const again = await bb(server, '/login/admin', { app, body: { email, password: GOOD_PASSWORD } });
    assert.equal(again.status, 401);
    assert.deepEqual(again.json, { error: 'Invalid email or password' });
  });

  it('an administrator reset by mailed code kills Toggl sessions and Auth-Tokens; the code works once', async () => {
    const { email, cookie } = await togglUserWhoAdministers(root, 'both-reset');
    const a = await login(server, app, '/login/admin', { email, password: GOOD_PASSWORD });
    assert.equal((await request(server.url, '/api/sessions', { cookie })).status, 200);

    const asked = await bb(server, '/login/admin/reset_password_email', { app, body: { email, path: 'https://evil.example/steal?code=' } });
    assert.equal(asked.status, 200, asked.text);
    const unknown = await bb(server, '/login/admin/reset_password_email', { app, body: { email: uniqueEmail('bb-nobody') } });
    assert.equal(unknown.status, 200);
    assert.equal(unknown.text, asked.text, 'the same answer for an unknown email');
    const mail = await smtp.waitFor(email);
    assert.ok(!mail.text.includes('evil.example'), 'the client-supplied path is not mailed');
    const code = resetCodeIn(mail);

    const weak = await bb(server, '/login/admin/reset_password', { method: 'PUT', app, body: { reset_password_token: code, password: 'short' } });
    assert.equal(weak.status, 400);
    assert.equal(typeof (weak.json as { error: unknown }).error, 'string');
    const done = await bb(server, '/login/admin/reset_password', { method: 'PUT', app, body: { reset_password_token: code, password: NEW_PASSWORD } });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(done.json, { message: 'Password has been reset' });

    assert.equal((await companyPage(a.auth_token)).status, 401, 'the Auth-Token died');
    assert.equal((await request(server.url, '/api/sessions', { cookie })).status, 403, 'the Toggl session died');
    assert.equal((await request(server.url, '/api/v9/me', { auth: [email, NEW_PASSWORD] })).status, 200, 'the new password works on Toggl');
    assert.equal((await login(server, app, '/login/admin', { email, password: NEW_PASSWORD })).company_id, root);
    const reuse = await bb(server, '/login/admin/reset_password', { method: 'PUT', app, body: { reset_password_token: code, password: 'another-valid-pass-77' } });
    assert.equal(reuse.status, 400, 'single use');
    assert.equal(typeof (reuse.json as { error: unknown }).error, 'string');
  });

  it('a member resets through the company routes (form bodies); other accounts get no mail', async () => {
    const email = uniqueEmail('bb-member-reset');
    await member(server, child, email);
    const togglOnly = uniqueEmail('toggl-only');
    assert.equal((await request(server.url, '/api/signup', { method: 'POST', json: { email: togglOnly, password: GOOD_PASSWORD } })).status, 201);
    const m = await login(server, app, `/login/member/${child}`, { email, password: GOOD_PASSWORD });

    const notOurs = await bb(server, `/login/${child}/email_password_reset`, { app, body: { email: togglOnly }, encoding: 'form' });
    const asked = await bb(server, `/login/${child}/email_password_reset`, { app, body: { email }, encoding: 'form' });
    assert.equal(asked.status, 200, asked.text);
    assert.equal(notOurs.text, asked.text);
    const code = resetCodeIn(await smtp.waitFor(email));
    assert.ok(!smtp.mails.some((x) => x.to.includes(togglOnly)), 'an account that is neither administrator nor member here gets no mail');
    assert.equal((await bb(server, `/login/987654321/email_password_reset`, { app, body: { email } })).status, 404);

    const done = await bb(server, `/login/${child}/reset_password`, { method: 'PUT', app, body: { reset_password_token: code, password: NEW_PASSWORD }, encoding: 'multipart' });
    assert.equal(done.status, 200, done.text);
    assert.equal((await bb(server, `/${child}/members/${(m._embedded.members[0] as { id: number }).id}`, { app, token: m.auth_token })).status, 401);
    assert.equal((await login(server, app, `/login/member/${child}`, { email, password: NEW_PASSWORD })).company_id, child);
    const bad = await bb(server, `/login/${child}/reset_password`, { method: 'PUT', app, body: { reset_password_token: 'NOTACODE1234', password: NEW_PASSWORD } });
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys(bad.json as object), ['error']);
  });
});
