// Account lifecycle rules (security.md, "Sessions and tokens"), through both dialects and a real SMTP server:
// a disabled or closed account can do nothing (no login, session, token, reset code or reset mail; codes
// issued before a disable are dead); what each path kills (password change, reset, closure, disable, revoke,
// API token reset); the API token survives a password change and a reset (toggl-client keeps working);
// the owner gets a notification mail for a password change, a reset, an email change and a token reset.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { application, admin, bb, company, login, type App } from '../helpers/bookingbug.js';
import { request, type Response } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';
import { resetCodeIn, startSmtp, type ReceivedMail, type SmtpProcess } from '../helpers/smtp.js';

const ACCOUNTS_COOKIE = '__Secure-accounts-session';
const API_COOKIE = 'toggl_api_session_new';
const OPERATOR = { ip: '127.0.0.1', userAgent: 'operator-test', operator: true };
const UA = 'lifecycle-test-agent/1.0';

interface TogglClientV9 {
  httpClient: { extend(options: { prefixUrl: string }): TogglClientV9['httpClient'] };
  user: { current(): Promise<{ api_token: string; email: string }>; update(user: Record<string, unknown>): Promise<{ api_token: string }>; resetToken(): Promise<unknown> };
  workspaces: { list(): Promise<Array<{ id: number }>> };
}

describe('account lifecycle: one usability rule and one kill routine, in both dialects', () => {
  let smtp: SmtpProcess;
  let server: TestServer;
  let companyId: number;
  let app: App;

  before(async () => {
    smtp = await startSmtp();
    server = await startTestServer({ SMTP_URL: smtp.url, MAIL_FROM: 'Gatehouse <gate@example.com>', PUBLIC_URL: 'http://127.0.0.1:1', RESET_MAIL_PER_EMAIL: '1000' });
    companyId = await company(server, 'Lifecycle');
    app = await application(server, companyId);
  });
  after(async () => {
    await server.stop();
    await smtp.stop();
  });

  interface Person {
    email: string;
    password: string;
    token: string;
    cookie: string;
    apiCookie: string;
    authToken: string;
  }

  function cookieOf(res: Response, name: string): string {
    const c = res.cookies[name];
    assert.ok(c, `${name} set: ${res.status} ${res.text}`);
    return `${name}=${c.value}`;
  }

  /** An account with every kind of credential: API token, accounts session, v8 session and an Auth-Token. */
  async function person(tag: string): Promise<Person> {
    const email = uniqueEmail(tag);
    const signup = await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    assert.equal(signup.status, 201, signup.text);
    await admin(server, companyId, email, { password: GOOD_PASSWORD });
    const me = await request(server.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] });
    const apiCookie = cookieOf(await request(server.url, '/api/v8/sessions', { method: 'POST', auth: [email, GOOD_PASSWORD] }), API_COOKIE);
    const authToken = (await login(server, app, '/login', { email, password: GOOD_PASSWORD })).auth_token;
    return { email, password: GOOD_PASSWORD, token: (me.json as { api_token: string }).api_token, cookie: cookieOf(signup, ACCOUNTS_COOKIE), apiCookie, authToken };
  }

  /** Which credentials still work: [API token, accounts session, v8 session, Auth-Token, password (Toggl), password (BookingBug)]. */
  async function alive(p: Person, password = p.password): Promise<number[]> {
    return [
      (await request(server.url, '/api/v9/me', { auth: [p.token, 'api_token'] })).status,
      (await request(server.url, '/api/v9/me', { cookie: p.cookie })).status,
      (await request(server.url, '/api/v8/me', { cookie: p.apiCookie })).status,
      (await bb(server, `/admin/${companyId}/company`, { app, token: p.authToken })).status,
      (await request(server.url, '/api/v9/me', { auth: [p.email, password] })).status,
      (await bb(server, '/login', { app, body: { email: p.email, password } })).status,
    ];
  }

  /** Asks for a reset code over the Toggl accounts service and returns it from the mail. */
  async function resetCode(email: string): Promise<string> {
    assert.equal((await request(server.url, '/api/password_reset', { method: 'POST', json: { email } })).status, 200);
    return resetCodeIn(await smtp.waitFor(email));
  }

  /**
   * Proves no mail went to `email` after the first `since` mails: a mail to a control address asked for
   * afterwards has arrived (the outbox sends in order), and none to `email` came with it.
   */
  async function noMailTo(email: string, since: number): Promise<void> {
    const control = uniqueEmail('control');
    await request(server.url, '/api/signup', { method: 'POST', json: { email: control, password: GOOD_PASSWORD } });
    await request(server.url, '/api/password_reset', { method: 'POST', json: { email: control } });
    await smtp.waitFor(control);
    assert.equal(smtp.mails.slice(since).filter((m) => m.to.some((t) => t.toLowerCase() === email.toLowerCase())).length, 0, `no mail to ${email}`);
  }

  function assertNotice(mail: ReceivedMail, subject: RegExp, ...texts: RegExp[]): void {
    assert.match(mail.subject, subject);
    assert.match(mail.text, /When: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    assert.match(mail.text, /From: address 127\.0\.0\.1/);
    assert.match(mail.text, new RegExp(`user agent\\): ${UA.replace(/[./]/g, '\\$&')}`));
    assert.match(mail.text, /If this was not you/);
    for (const t of texts) assert.match(mail.text, t);
  }

  it('a code mailed before a disable is dead: the reset is refused (Toggl and BookingBug), and after enable the old password works', async () => {
    const p = await person('lc-disable-code');
    const togglCode = await resetCode(p.email);
    assert.equal((await bb(server, '/login/admin/reset_password_email', { app, body: { email: p.email } })).status, 200);
    const bbCode = resetCodeIn(await smtp.waitFor(p.email));
    assert.ok(await server.core.accounts.setDisabled(p.email, true, OPERATOR));

    const taken = await request(server.url, `/api/password_reset/${togglCode}`, { method: 'POST', json: { password: 'taken-over-password-91' } });
    assert.equal(taken.status, 400, taken.text);
    const bbTaken = await bb(server, '/login/admin/reset_password', { method: 'PUT', app, body: { reset_password_token: bbCode, password: 'taken-over-password-92' } });
    assert.equal(bbTaken.status, 400, bbTaken.text);

    // Disabled: nothing works; a correct password is told the state, in both dialects.
    const disabled = await alive(p);
    assert.deepEqual(disabled, [403, 403, 403, 401, 403, 403], 'API token, sessions, Auth-Token, logins');
    assert.equal((await bb(server, '/login', { app, body: { email: p.email, password: p.password } })).text, '{"error":"Account has been disabled"}');
    // No reset mail while disabled, from either dialect.
    const since = smtp.mails.length;
    await request(server.url, '/api/password_reset', { method: 'POST', json: { email: p.email } });
    await bb(server, '/login/admin/reset_password_email', { app, body: { email: p.email } });
    await noMailTo(p.email, since);

    assert.ok(await server.core.accounts.setDisabled(p.email, false, OPERATOR));
    assert.equal((await request(server.url, '/api/v9/me', { auth: [p.email, 'taken-over-password-91'] })).status, 403, 'the password chosen during the disable was never set');
    assert.equal((await request(server.url, '/api/v9/me', { auth: [p.email, p.password] })).status, 200, 'the old password works after enable');
    for (const code of [togglCode, bbCode]) {
      assert.equal((await request(server.url, `/api/password_reset/${code}`, { method: 'POST', json: { password: 'taken-over-password-93' } })).status, 400, 'codes stay dead after enable');
    }
    const after = await alive(p);
    assert.deepEqual(after.slice(0, 4), [403, 403, 403, 401], 'credentials killed by the disable stay dead');
  });

  it('password change (Toggl): other sessions and Auth-Tokens and open codes die; the caller, the API token survive; the owner is told', async () => {
    const p = await person('lc-change');
    const code = await resetCode(p.email);
    const newPassword = 'harbor-violet-93-engine';
    const res = await request(server.url, '/api/v9/me', { method: 'PUT', cookie: p.cookie, headers: { 'user-agent': UA }, json: { current_password: p.password, password: newPassword } });
    assert.equal(res.status, 200, res.text);
    assert.equal((res.json as { api_token: string }).api_token, p.token, 'the answer carries the same API token');
    assert.deepEqual(await alive(p, newPassword), [200, 200, 403, 401, 200, 200], 'API token and caller survive; v8 session and Auth-Token die');
    assert.equal((await request(server.url, `/api/password_reset/${code}`, { method: 'POST', json: { password: 'another-valid-pass-77' } })).status, 400, 'open code died');
    assertNotice(await smtp.waitFor(p.email), /password was changed/, /reset your API token too/i, /reset_token/);
  });

  it('password change with Basic (no session to keep): every session and Auth-Token dies, the API token survives', async () => {
    const p = await person('lc-change-basic');
    const newPassword = 'harbor-violet-93-basic';
    const res = await request(server.url, '/api/v9/me', { method: 'PUT', auth: [p.email, p.password], json: { current_password: p.password, password: newPassword } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(await alive(p, newPassword), [200, 403, 403, 401, 200, 200]);
  });

  it('password reset (Toggl): every session and Auth-Token dies, the API token survives, the owner is told', async () => {
    const p = await person('lc-reset');
    const code = await resetCode(p.email);
    const newPassword = 'harbor-violet-93-reset';
    const done = await request(server.url, `/api/password_reset/${code}`, { method: 'POST', headers: { 'user-agent': UA }, json: { password: newPassword } });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(await alive(p, newPassword), [200, 403, 403, 401, 200, 200]);
    assertNotice(await smtp.waitFor(p.email), /password was reset/, /reset your API token too/i);
  });

  it('password reset (BookingBug): every session and Auth-Token dies, the API token survives, the owner is told', async () => {
    const p = await person('lc-bb-reset');
    assert.equal((await bb(server, '/login/admin/reset_password_email', { app, body: { email: p.email } })).status, 200);
    const code = resetCodeIn(await smtp.waitFor(p.email));
    const newPassword = 'harbor-violet-93-bbreset';
    const done = await bb(server, '/login/admin/reset_password', { method: 'PUT', app, headers: { 'user-agent': UA }, body: { reset_password_token: code, password: newPassword } });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(await alive(p, newPassword), [200, 403, 403, 401, 200, 200]);
    assertNotice(await smtp.waitFor(p.email), /password was reset/);
  });

  it('API token reset: only the API token dies; the owner is told', async () => {
    const p = await person('lc-token');
    const res = await request(server.url, '/api/v9/me/reset_token', { method: 'POST', auth: [p.token, 'api_token'], headers: { 'user-agent': UA } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(await alive(p), [403, 200, 200, 200, 200, 200]);
    assertNotice(await smtp.waitFor(p.email), /API token was reset/);
  });

  it('email change: the old address is told, naming the new one', async () => {
    const p = await person('lc-email');
    const moved = uniqueEmail('lc-moved');
    const res = await request(server.url, '/api/v9/me', { method: 'PUT', cookie: p.cookie, headers: { 'user-agent': UA }, json: { email: moved } });
    assert.equal(res.status, 200, res.text);
    const mail = await smtp.waitFor(p.email);
    assertNotice(mail, /email address .* changed/, new RegExp(moved.replace(/[.+]/g, '\\$&')));
  });

  it('operator revoke and closure kill everything, the API token included', async () => {
    const r = await person('lc-revoke');
    const code = await resetCode(r.email);
    assert.ok(await server.core.accounts.revokeAll(r.email, OPERATOR));
    assert.deepEqual(await alive(r), [403, 403, 403, 401, 200, 200], 'the password still works after a revoke');
    assert.equal((await request(server.url, `/api/password_reset/${code}`, { method: 'POST', json: { password: 'another-valid-pass-78' } })).status, 400);

    const c = await person('lc-close');
    const closeCode = await resetCode(c.email);
    assert.equal((await request(server.url, '/api/v9/me/close_account', { method: 'POST', cookie: c.cookie })).status, 200);
    assert.deepEqual(await alive(c), [403, 403, 403, 401, 403, 401], 'a closed account logs in as unknown');
    assert.equal((await request(server.url, `/api/password_reset/${closeCode}`, { method: 'POST', json: { password: 'another-valid-pass-79' } })).status, 400);
    const since = smtp.mails.length;
    await request(server.url, '/api/password_reset', { method: 'POST', json: { email: c.email } });
    await noMailTo(c.email, since);
  });

  it('toggl-client (v9): after user.update({current_password, password}) the same token goes on working (workspaces.list, resetToken)', async () => {
    const specifier: string = 'toggl-client';
    const connect = ((await import(specifier)) as { default: (o: { apiToken: string }) => TogglClientV9 }).default;
    const p = await person('lc-toggl-client');
    const client = connect({ apiToken: p.token });
    client.httpClient = client.httpClient.extend({ prefixUrl: `${server.url}/api/v9` });
    const updated = await client.user.update({ current_password: p.password, password: 'harbor-violet-93-client' });
    assert.equal(updated.api_token, p.token);
    assert.equal((await client.workspaces.list()).length, 1, 'workspaces.list() after the password change');
    const fresh = await client.user.resetToken();
    assert.match(String(fresh), /^[0-9a-f]{32}$/);
    assert.notEqual(fresh, p.token);
  });
});
