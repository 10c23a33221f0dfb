// Verified credentials are kept in memory (issue 9), and every path that kills or changes a credential must
// still refuse it at once. Each case first uses the credential twice (so it is verified in memory), then
// revokes it, then expects the very next request to be refused. Operator paths (disable, revoke, application
// revoke) run the real `gatehouse` command in another process: on SQLite that is a second process writing the
// same file, on PostgreSQL a second client of the same database.
// Also: Basic-authenticated v8 GET /me calls reuse one API session (no sessions row per call), and that
// session dies like any other.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { admin, application, bb, company, type App } from '../helpers/bookingbug.js';
import { request, type RequestOptions, type Response } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServerIn, testEnv, uniqueEmail, type TestServer } from '../helpers/server.js';
import { resetCodeIn, startSmtp, type SmtpProcess } from '../helpers/smtp.js';
import { runGatehouse, type CliRun } from '../helpers/cli.js';

const ACCOUNTS_COOKIE = '__Secure-accounts-session';
const API_COOKIE = 'toggl_api_session_new';
const MAX_FAILURES = 3;

interface Person {
  email: string;
  password: string;
  token: string;
  /** Two accounts-session cookies (one to act with, one to watch) and a v8 API session cookie. */
  cookie: string;
  otherCookie: string;
  apiCookie: string;
}

describe('credentials verified in memory die at once on every revocation path', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let server: TestServer;
  let smtp: SmtpProcess;

  const get = (p: string, o: RequestOptions = {}) => request(server.url, p, o);

  const gatehouse = (args: string[]): Promise<CliRun> => runGatehouse([...args, '--json'], env);

  async function operator(args: string[]): Promise<void> {
    const r = await gatehouse(args);
    assert.equal(r.code, 0, `gatehouse ${args.join(' ')}: ${r.stderr}`);
  }

  function cookieOf(res: Response, name: string): string {
    const c = res.cookies[name];
    assert.ok(c && c.value !== '', `answer ${res.status} sets ${name}: ${res.text}`);
    return `${name}=${c.value}`;
  }

  async function person(tag: string): Promise<Person> {
    const email = uniqueEmail(tag);
    const signup = await get('/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    assert.equal(signup.status, 201, signup.text);
    const cookie = cookieOf(signup, ACCOUNTS_COOKIE);
    const other = await get('/api/sessions', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    const me = await get('/api/v9/me', { cookie });
    const token = (me.json as { api_token: string }).api_token;
    const v8 = await get('/api/v8/sessions', { method: 'POST', auth: [token, 'api_token'] });
    return { email, password: GOOD_PASSWORD, token, cookie, otherCookie: cookieOf(other, ACCOUNTS_COOKIE), apiCookie: cookieOf(v8, API_COOKIE) };
  }

  type Credential = [string, RequestOptions];
  const credentials = (p: Person): Credential[] => [
    ['API token', { auth: [p.token, 'api_token'] }],
    ['email:password', { auth: [p.email, p.password] }],
    ['accounts cookie', { cookie: p.otherCookie }],
    ['v8 API cookie', { cookie: p.apiCookie }],
  ];

  /** Uses each credential twice (the second answer comes from memory) and asserts 200. */
  async function warm(list: Credential[]): Promise<void> {
    for (const [what, o] of list) {
      for (let i = 0; i < 2; i++) {
        const res = await get('/api/v9/me', o);
        assert.equal(res.status, 200, `${what} works before the revocation: ${res.text}`);
      }
    }
  }

  async function refused(list: Credential[], after: string, status = 403): Promise<void> {
    for (const [what, o] of list) {
      const res = await get('/api/v9/me', o);
      assert.equal(res.status, status, `${what} refused right after ${after}`);
    }
  }

  before(async () => {
    smtp = await startSmtp();
    dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-revocation-'));
    env = testEnv(dataDir, { SMTP_URL: smtp.url, LOGIN_MAX_FAILURES: String(MAX_FAILURES) });
    server = await startTestServerIn(dataDir, env);
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('logout (v9 DELETE /me/sessions, v8 DELETE /sessions)', async () => {
    const p = await person('rc-logout');
    await warm([['accounts cookie', { cookie: p.cookie }], ['v8 API cookie', { cookie: p.apiCookie }]]);
    assert.equal((await get('/api/v9/me/sessions', { method: 'DELETE', cookie: p.cookie })).status, 200);
    await refused([['accounts cookie', { cookie: p.cookie }]], 'logout');
    assert.equal((await get('/api/v8/sessions', { method: 'DELETE', cookie: p.apiCookie })).status, 200);
    await refused([['v8 API cookie', { cookie: p.apiCookie }]], 'v8 logout');
    // Other credentials of the account are untouched.
    await warm([['API token', { auth: [p.token, 'api_token'] }], ['other accounts cookie', { cookie: p.otherCookie }]]);
  });

  it('password change', async () => {
    const p = await person('rc-password');
    await warm(credentials(p));
    const res = await get('/api/v9/me', { method: 'PUT', cookie: p.cookie, json: { current_password: p.password, password: 'a-brand-new-pass-81' } });
    assert.equal(res.status, 200, res.text);
    // The API token is an integration credential: it survives a password change (security.md), everything else dies.
    await refused(credentials(p).filter(([what]) => what !== 'API token'), 'a password change');
    assert.equal((await get('/api/v9/me', { cookie: p.cookie })).status, 200, 'the session that changed it survives');
    assert.equal((await get('/api/v9/me', { auth: [p.token, 'api_token'] })).status, 200, 'the API token survives');
  });

  it('password reset', async () => {
    const p = await person('rc-reset');
    await warm(credentials(p));
    assert.equal((await get('/api/password_reset', { method: 'POST', json: { email: p.email } })).status, 200);
    const code = resetCodeIn(await smtp.waitFor(p.email));
    const done = await get(`/api/password_reset/${code}`, { method: 'POST', json: { password: 'reset-to-this-pass-62' } });
    assert.equal(done.status, 200, done.text);
    await refused([...credentials(p).filter(([what]) => what !== 'API token'), ['acting cookie', { cookie: p.cookie }]], 'a password reset');
    assert.equal((await get('/api/v9/me', { auth: [p.token, 'api_token'] })).status, 200, 'the API token survives a reset');
  });

  it('account closure', async () => {
    const p = await person('rc-close');
    await warm(credentials(p));
    assert.equal((await get('/api/v9/me/close_account', { method: 'POST', cookie: p.cookie })).status, 200);
    await refused(credentials(p), 'closure');
  });

  it('API token reset', async () => {
    const p = await person('rc-token');
    await warm(credentials(p));
    const res = await get('/api/v9/me/reset_token', { method: 'POST', cookie: p.cookie });
    assert.equal(res.status, 200, res.text);
    await refused([['old API token', { auth: [p.token, 'api_token'] }]], 'a token reset');
    assert.equal((await get('/api/v9/me', { auth: [res.json as string, 'api_token'] })).status, 200, 'the new token works');
  });

  it('email change', async () => {
    const p = await person('rc-email');
    await warm(credentials(p));
    const res = await get('/api/v9/me', { method: 'PUT', cookie: p.cookie, json: { email: uniqueEmail('rc-email-new') } });
    assert.equal(res.status, 200, res.text);
    await refused([['old email:password', { auth: [p.email, p.password] }]], 'an email change');
  });

  it('lockout: a remembered email:password gets 429 once the email is locked', async () => {
    const p = await person('rc-lockout');
    await warm([['email:password', { auth: [p.email, p.password] }]]);
    for (let i = 0; i < MAX_FAILURES; i++) assert.equal((await get('/api/v9/me', { auth: [p.email, 'wrong-guess-pass'] })).status, 403);
    await refused([['email:password', { auth: [p.email, p.password] }]], 'the lockout', 429);
    await warm([['API token', { auth: [p.token, 'api_token'] }]]);
  });

  it('operator disable (another process)', async () => {
    const p = await person('rc-disable');
    await warm(credentials(p));
    await operator(['account', 'disable', '--email', p.email]);
    await refused(credentials(p), 'gatehouse account disable');
  });

  it('operator revoke (another process)', async () => {
    const p = await person('rc-revoke');
    await warm(credentials(p));
    await operator(['account', 'revoke', '--email', p.email]);
    await refused([...credentials(p).filter(([w]) => w !== 'email:password'), ['acting cookie', { cookie: p.cookie }]], 'gatehouse account revoke');
  });

  it('BookingBug: logout, application revoke (another process), password change', async () => {
    const companyId = await company(server, 'RC Co');
    const email = uniqueEmail('rc-bb');
    await admin(server, companyId, email);
    const app: App = await application(server, companyId);
    const loginAs = async (): Promise<string> => {
      const res = await bb(server, `/login/admin/${companyId}`, { app, body: { email, password: GOOD_PASSWORD } });
      assert.equal(res.status, 200, res.text);
      return (res.json as { auth_token: string }).auth_token;
    };
    const use = (token: string) => bb(server, `/admin/${companyId}/company`, { app, token });
    const warmBb = async (token: string) => {
      for (let i = 0; i < 2; i++) assert.equal((await use(token)).status, 200);
    };

    const t1 = await loginAs();
    await warmBb(t1);
    assert.equal((await bb(server, '/logout', { app, token: t1, method: 'DELETE' })).status, 200);
    assert.equal((await use(t1)).status, 401, 'Auth-Token refused right after logout');

    const t2 = await loginAs();
    await warmBb(t2);
    const change = await get('/api/v9/me', { method: 'PUT', auth: [email, GOOD_PASSWORD], json: { current_password: GOOD_PASSWORD, password: 'bb-new-pass-word-55' } });
    assert.equal(change.status, 200, change.text);
    assert.equal((await use(t2)).status, 401, 'Auth-Token refused right after a password change in the other dialect');

    const t3 = await bb(server, `/login/admin/${companyId}`, { app, body: { email, password: 'bb-new-pass-word-55' } });
    const token3 = (t3.json as { auth_token: string }).auth_token;
    await warmBb(token3);
    await operator(['app', 'revoke', app.appId]);
    assert.equal((await use(token3)).status, 401, 'Auth-Token refused right after its application was revoked');
  });

  it('Basic v8 GET /me: 10,000 calls leave a handful of sessions rows, and the cookie dies on revocation', async () => {
    const p = await person('rc-v8-rows');
    const account = await server.core.store.accountByEmailKey(p.email.toLowerCase());
    assert.ok(account);
    const before = await countSessions(account.id);
    let last = '';
    // 10,000 calls over 8 connections, bounded in time too (a busy machine may get fewer done).
    const deadline = Date.now() + 90_000;
    let calls = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (calls < 10_000 && Date.now() < deadline) {
          calls++;
          const res = await get('/api/v8/me', { auth: [p.token, 'api_token'] });
          assert.equal(res.status, 200);
          last = cookieOf(res, API_COOKIE);
        }
      }),
    );
    const made = (await countSessions(account.id)) - before;
    console.log(`Basic v8 GET /me: ${calls} calls opened ${made} sessions rows`);
    assert.ok(calls >= 1000, `at least 1000 calls ran (${calls})`);
    assert.ok(made <= 5, `${made} sessions rows for ${calls} calls`);
    assert.equal((await get('/api/v9/me', { cookie: last })).status, 200, 'the handed-out cookie works');
    await operator(['account', 'revoke', '--email', p.email]);
    assert.equal((await get('/api/v9/me', { cookie: last })).status, 403, 'and dies with every other session');
  });

  it('Basic v8 GET /me: concurrent first calls of one client open one session between them', async () => {
    const p = await person('rc-v8-first');
    const account = await server.core.store.accountByEmailKey(p.email.toLowerCase());
    assert.ok(account);
    const before = await countSessions(account.id);
    const answers = await Promise.all(Array.from({ length: 8 }, () => get('/api/v8/me', { auth: [p.token, 'api_token'] })));
    for (const res of answers) assert.equal(res.status, 200);
    assert.equal(new Set(answers.map((res) => cookieOf(res, API_COOKIE))).size, 1, 'every call got the same session');
    assert.equal((await countSessions(account.id)) - before, 1, 'one sessions row');
  });

  async function countSessions(accountId: number): Promise<number> {
    return server.core.store.sessionCount(accountId);
  }
});
