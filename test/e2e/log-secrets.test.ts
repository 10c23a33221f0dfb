// security.md, Bad input: "No secret (password, token, cookie, App-Key, reset code) ever appears in a log line."
// A real server process at LOG_LEVEL=debug (the most it logs) goes through a scripted run that handles every
// kind of secret, right and wrong, well-formed and malformed; then its whole output is searched for them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { bb, multipartBody, type App } from '../helpers/bookingbug.js';
import { basic, request } from '../helpers/http.js';
import { deployment, killAllServers, startServerProcess, type Deployment, type ServerProcess } from '../helpers/process.js';
import { GOOD_PASSWORD, uniqueEmail, type TestServer } from '../helpers/server.js';
import { nextResetCode, startSmtp, type SmtpProcess } from '../helpers/smtp.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'gatehouse.js');

describe('no secret in a log line (LOG_LEVEL=debug)', () => {
  let smtp: SmtpProcess;
  let d: Deployment;
  let proc: ServerProcess;

  /** The operator CLI on the same database and secret, printing one JSON object. */
  function cli(args: string[]): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const env: Record<string, string> = { PATH: process.env.PATH ?? '', DATA_DIR: d.dataDir, DATABASE_URL: d.databaseUrl, GATEHOUSE_SECRET: d.secret, LOG_LEVEL: 'silent' };
      const child = spawn(process.execPath, [BIN, ...args, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`${args.join(' ')}: ${err}`))));
    });
  }

  before(async () => {
    smtp = await startSmtp();
    d = deployment({ SMTP_URL: smtp.url, MAIL_FROM: 'Gatehouse <gate@example.com>' });
    proc = await startServerProcess(d, { LOG_LEVEL: 'debug' });
  });
  after(async () => {
    await killAllServers();
    d.remove();
    await smtp.stop();
  });

  it('a scripted run with every kind of secret leaves none of them in the output', async () => {
    const url = proc.url;
    const server = { url } as TestServer;
    const secrets = new Map<string, string>();
    const keep = (what: string, value: string | undefined) => {
      assert.ok(value !== undefined && value.length >= 8, `${what} was issued`);
      secrets.set(what, value);
    };
    const email = uniqueEmail('logs');
    keep('password', GOOD_PASSWORD);
    const wrong = 'wrong-password-zebra-71';
    keep('wrong password', wrong);

    // Toggl: signup, logins of every kind, the API token, a password change, malformed bodies with secrets.
    const signup = await request(url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    assert.equal(signup.status, 201, signup.text);
    keep('accounts cookie', signup.cookies['__Secure-accounts-session']?.value);
    const accountsCookie = `__Secure-accounts-session=${secrets.get('accounts cookie')}`;
    const login = await request(url, '/api/sessions', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    assert.equal(login.status, 200);
    keep('second accounts cookie', login.cookies['__Secure-accounts-session']?.value);
    const v8 = await request(url, '/api/v8/sessions', { method: 'POST', auth: [email, GOOD_PASSWORD] });
    keep('api cookie', v8.cookies['toggl_api_session_new']?.value);
    const me = await request(url, '/api/v9/me', { cookie: accountsCookie });
    keep('api token', (me.json as { api_token?: string }).api_token);
    keep('Basic header', basic(email, GOOD_PASSWORD).slice(6));
    assert.equal((await request(url, '/api/v9/me', { auth: [secrets.get('api token') as string, 'api_token'] })).status, 200);
    assert.equal((await request(url, '/api/v8/me', { cookie: `toggl_api_session_new=${secrets.get('api cookie')}` })).status, 200);
    assert.equal((await request(url, '/api/v9/me', { auth: [email, wrong] })).status, 403);
    assert.equal((await request(url, '/api/sessions', { method: 'POST', json: { email, password: wrong } })).status, 403);
    const truncated = `{"email":"${email}","password":"${GOOD_PASSWORD}"`;
    assert.equal((await request(url, '/api/sessions', { method: 'POST', body: truncated, headers: { 'content-type': 'application/json' } })).status, 400);
    assert.equal((await request(url, '/api/v9/me', { method: 'PUT', cookie: accountsCookie, body: `{"current_password":"${GOOD_PASSWORD}",`, headers: { 'content-type': 'application/json' } })).status, 400);
    const reset = await request(url, '/api/v9/me/reset_token', { method: 'POST', cookie: accountsCookie });
    keep('new api token', JSON.parse(reset.text) as string);

    // A password reset by mailed code, through the page URL and the API.
    assert.equal((await request(url, '/api/password_reset', { method: 'POST', json: { email } })).status, 200);
    keep('reset code', await nextResetCode(smtp, email));
    await request(url, `/reset-password/${secrets.get('reset code')}`);
    const newPassword = 'harbor-violet-93-engine';
    keep('new password', newPassword);
    const done = await request(url, `/api/password_reset/${secrets.get('reset code')}`, { method: 'POST', json: { password: newPassword } });
    assert.equal(done.status, 200, done.text);
    keep('reset cookie', done.cookies['__Secure-accounts-session']?.value);

    // BookingBug: an application with an App-Key made by the operator, a login, an Auth-Token in use.
    const company = await cli(['company', 'create', '--name', 'Log Co']);
    const bbEmail = uniqueEmail('logs-bb');
    await cli(['admin', 'create', '--company', String(company.id), '--email', bbEmail, '--password', GOOD_PASSWORD, '--name', 'Log Admin']);
    const created = await cli(['app', 'create', '--company', String(company.id), '--name', 'Log app']);
    const app: App = { appId: String(created.app_id), appKey: String(created.app_key) };
    keep('App-Key', app.appKey);
    const bbLogin = await bb(server, '/login/admin', { app, body: { email: bbEmail, password: GOOD_PASSWORD }, encoding: 'multipart' });
    assert.equal(bbLogin.status, 200, bbLogin.text);
    keep('Auth-Token', (bbLogin.json as { auth_token?: string }).auth_token);
    assert.equal((await bb(server, `/admin/${String(company.id)}/company`, { app, token: secrets.get('Auth-Token') })).status, 200);
    assert.equal((await bb(server, '/login/admin', { app, body: { email: bbEmail, password: wrong }, encoding: 'form' })).status, 401);
    const broken = multipartBody({ email: bbEmail, password: GOOD_PASSWORD });
    await bb(server, '/login/admin', { app, headers: { 'content-type': broken.contentType.replace(/boundary=.*/, 'boundary=other') } });
    await request(url, '/api/v1/login/admin', { method: 'POST', headers: { 'App-Id': app.appId, 'App-Key': app.appKey as string, 'content-type': broken.contentType }, body: broken.body.slice(0, -20) });
    assert.equal((await bb(server, `/admin/${String(company.id)}/company`, { method: 'DELETE', app, token: secrets.get('Auth-Token') })).status >= 400, true);
    assert.equal((await bb(server, '/login', { method: 'DELETE', app, token: secrets.get('Auth-Token') })).status, 200);

    // Give the logger a moment to flush, then search everything the process wrote.
    await new Promise((r) => setTimeout(r, 300));
    const output = proc.output();
    assert.ok(/"route"/.test(output) && /"msg":"request"/.test(output), `the server did log requests:\n${output.slice(0, 2000)}`);
    const found = [...secrets].filter(([, value]) => output.includes(value)).map(([what]) => what);
    assert.deepEqual(found, [], `secrets in the log:\n${output
      .split('\n')
      .filter((l) => [...secrets.values()].some((v) => l.includes(v)))
      .slice(0, 10)
      .join('\n')}`);
  });
});
