// The operator CLI (`gatehouse company|admin|member|app ...`) as an operator runs it: a real process on the
// same DATABASE_URL and secret as a running server. --json prints exactly one JSON object; mistakes print a
// message on stderr, exit non-zero and write nothing; what it creates works over HTTP at once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { emailKey } from '../../src/core/validate.js';
import { bb, type App } from '../helpers/bookingbug.js';
import { request } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServerIn, testEnv, uniqueEmail, type TestServer } from '../helpers/server.js';
import { runGatehouse, type CliRun } from '../helpers/cli.js';



describe('gatehouse operator commands', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let server: TestServer;

  const gatehouse = (args: string[], stdin?: string): Promise<CliRun> => runGatehouse(args, env, { stdin: stdin ?? '' });

  /** Runs a command with --json; asserts success and exactly one JSON object on stdout. */
  async function json(args: string[], stdin?: string): Promise<Record<string, unknown>> {
    const r = await gatehouse([...args, '--json'], stdin);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `one line on stdout: ${r.stdout}`);
    const value = JSON.parse(lines[0] ?? '') as unknown;
    assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), 'a JSON object');
    return value as Record<string, unknown>;
  }

  async function refused(args: string[], code: number, message: RegExp, stdin?: string): Promise<void> {
    const r = await gatehouse(args, stdin);
    assert.equal(r.code, code, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
    assert.equal(r.stdout, '', 'nothing on stdout');
    assert.match(r.stderr, message);
  }

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-cli-'));
    env = testEnv(dataDir);
    server = await startTestServerIn(dataDir, env);
  });
  after(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a company tree, an administrator, a member and an application that log in over HTTP', async () => {
    const parent = await json(['company', 'create', '--name', 'CLI Parent']);
    assert.equal(typeof parent.id, 'number');
    assert.deepEqual(parent, { id: parent.id, name: 'CLI Parent', parent_id: null });
    const child = await json(['company', 'create', '--name', 'CLI Child', '--parent', String(parent.id)]);
    assert.equal(child.parent_id, parent.id);

    const email = uniqueEmail('cli-admin');
    const adm = await json(['admin', 'create', '--company', String(parent.id), '--email', email, '--password', GOOD_PASSWORD, '--name', 'Cli Admin', '--role', 'admin']);
    assert.equal(adm.email, email);
    assert.equal(adm.role, 'admin');
    assert.equal(adm.company_id, parent.id);
    assert.ok(!JSON.stringify(adm).includes(GOOD_PASSWORD), 'the password is not printed');

    const memberEmail = uniqueEmail('cli-member');
    const mem = await json(['member', 'create', '--company', String(child.id), '--email', memberEmail, '--password-stdin', '--first-name', 'Mo', '--last-name', 'Ember'], `${GOOD_PASSWORD}\n`);
    assert.equal(mem.first_name, 'Mo');

    const created = await json(['app', 'create', '--company', String(parent.id), '--name', 'CLI app']);
    assert.match(String(created.app_id), /^[0-9a-f]{16}$/);
    assert.match(String(created.app_key), /^[0-9a-f]{32}$/, '128-bit App-Key');
    const app: App = { appId: String(created.app_id), appKey: String(created.app_key) };
    const keyless = await json(['app', 'create', '--company', String(child.id), '--name', 'Keyless', '--no-key']);
    assert.equal(keyless.app_key, null);

    const login = await bb(server, `/login/admin/${child.id}`, { app, body: { email, password: GOOD_PASSWORD } });
    assert.equal(login.status, 200, login.text);
    assert.equal((login.json as { role: string }).role, 'admin');
    const m = await bb(server, `/login/member/${child.id}`, { app: { appId: String(keyless.app_id), appKey: undefined }, body: { email: memberEmail, password: GOOD_PASSWORD } });
    assert.equal(m.status, 200, m.text);

    const listed = await json(['app', 'list', '--company', String(parent.id)]);
    const apps = listed.applications as Array<Record<string, unknown>>;
    assert.deepEqual(apps.map((a) => a.app_id), [created.app_id]);
    assert.equal(apps[0]?.has_key, true);
    assert.ok(!JSON.stringify(listed).includes(String(created.app_key)), 'the key is shown only once');
    const all = await json(['app', 'list']);
    assert.ok((all.applications as unknown[]).length >= 2);

    const revoked = await json(['app', 'revoke', String(created.app_id)]);
    assert.deepEqual(revoked, { app_id: created.app_id, revoked: true });
    const after = await bb(server, `/login/admin/${child.id}`, { app, body: { email, password: GOOD_PASSWORD } });
    assert.equal(after.status, 401);
    assert.deepEqual(after.json, { error: 'Invalid App-Id or App-Key' });
    await refused(['app', 'revoke', String(created.app_id)], 1, /no live application/);
    const relisted = await json(['app', 'list', '--company', String(parent.id)]);
    assert.notEqual((relisted.applications as Array<Record<string, unknown>>)[0]?.revoked_at, null);
  });

  it('without --json prints readable lines, the App-Key once', async () => {
    const r = await gatehouse(['company', 'create', '--name', 'Plain']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^company \d+ created: Plain\n$/);
    const id = /company (\d+)/.exec(r.stdout)?.[1] ?? '';
    const app = await gatehouse(['app', 'create', '--company', id, '--name', 'Plain app']);
    assert.equal(app.code, 0, app.stderr);
    assert.match(app.stdout, /App-Id: +[0-9a-f]{16}\nApp-Key: [0-9a-f]{32} /);
  });

  it('an existing account is attached: the password may be left out, and must match when given', async () => {
    const c = await json(['company', 'create', '--name', 'Attach']);
    const other = await json(['company', 'create', '--name', 'Attach 2']);
    const email = uniqueEmail('cli-attach');
    const first = await json(['admin', 'create', '--company', String(c.id), '--email', email, '--password', GOOD_PASSWORD, '--name', 'Ada']);
    const second = await json(['admin', 'create', '--company', String(other.id), '--email', email.toUpperCase(), '--name', 'Ada']);
    assert.equal(second.account_id, first.account_id, 'one person, one account');
    await refused(['member', 'create', '--company', String(c.id), '--email', email, '--password', 'not-the-right-one-9', '--first-name', 'A', '--last-name', 'B'], 1, /does not match/);
    await refused(['admin', 'create', '--company', String(c.id), '--email', email, '--name', 'Ada'], 1, /already an administrator of company/);
    const account = await server.core.store.accountByEmailKey(emailKey(email));
    assert.ok(account);
    assert.equal((await server.core.store.administratorsOfAccount(account.id)).length, 2);
    assert.equal((await server.core.store.membersOfAccount(account.id)).length, 0, 'the refused member was not written');
  });

  it('account disable: every credential dies, a right password gets "Account has been disabled", a wrong one learns nothing; enable restores logins', async () => {
    const company = await json(['company', 'create', '--name', 'Disable Co']);
    const email = uniqueEmail('cli-disable');
    await json(['admin', 'create', '--company', String(company.id), '--email', email, '--password', GOOD_PASSWORD, '--name', 'Dee Sabled']);
    const created = await json(['app', 'create', '--company', String(company.id), '--name', 'Disable app']);
    const app: App = { appId: String(created.app_id), appKey: String(created.app_key) };
    const login = await bb(server, `/login/admin/${company.id}`, { app, body: { email, password: GOOD_PASSWORD } });
    assert.equal(login.status, 200, login.text);
    const token = (login.json as { auth_token: string }).auth_token;
    const me = await request(server.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] });
    assert.equal(me.status, 200, 'the same person through the Toggl dialect');
    const apiToken = (me.json as { api_token: string }).api_token;

    const disabled = await json(['account', 'disable', '--email', email]);
    assert.deepEqual(disabled, { account_id: disabled.account_id, email, disabled: true, changed: true });
    assert.equal((await bb(server, `/admin/${company.id}/company`, { app, token })).status, 401, 'the Auth-Token died');
    const right = await bb(server, `/login/admin/${company.id}`, { app, body: { email, password: GOOD_PASSWORD } });
    assert.equal(right.status, 403);
    assert.deepEqual(right.json, { error: 'Account has been disabled' });
    const wrong = await bb(server, `/login/admin/${company.id}`, { app, body: { email, password: 'not-the-password-9' } });
    assert.equal(wrong.status, 401, 'a wrong password is not told the account is disabled');
    assert.deepEqual(wrong.json, { error: 'Invalid email or password' });
    const toggl = await request(server.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] });
    assert.equal(toggl.status, 403);
    assert.equal(toggl.json, 'Account has been disabled');
    assert.equal((await request(server.url, '/api/v9/me', { auth: [apiToken, 'api_token'] })).status, 403, 'the API token is refused');
    assert.deepEqual(await json(['account', 'disable', '--email', email]), { account_id: disabled.account_id, email, disabled: true, changed: false });

    assert.equal((await json(['account', 'enable', '--email', email])).changed, true);
    const again = await bb(server, `/login/admin/${company.id}`, { app, body: { email, password: GOOD_PASSWORD } });
    assert.equal(again.status, 200, again.text);
    assert.equal((await request(server.url, '/api/v9/me', { auth: [apiToken, 'api_token'] })).status, 403, 'the API token killed by the disable stays dead');
    assert.equal((await bb(server, `/admin/${company.id}/company`, { app, token })).status, 401, 'so does the Auth-Token');
    await refused(['account', 'disable', '--email', uniqueEmail('nobody')], 1, /no open account/);
    await refused(['account', 'disable'], 2, /--email is required/);
  });

  it('account revoke: every session, Auth-Token and the API token die at once in both dialects; the password still works', async () => {
    const company = await json(['company', 'create', '--name', 'Revoke Co']);
    const email = uniqueEmail('cli-revoke');
    await json(['admin', 'create', '--company', String(company.id), '--email', email, '--password', GOOD_PASSWORD, '--name', 'Rae Voke']);
    const created = await json(['app', 'create', '--company', String(company.id), '--name', 'Revoke app']);
    const app: App = { appId: String(created.app_id), appKey: String(created.app_key) };
    const tokens = await Promise.all(
      [1, 2].map(async () => ((await bb(server, `/login/admin/${company.id}`, { app, body: { email, password: GOOD_PASSWORD } })).json as { auth_token: string }).auth_token),
    );
    const signin = await request(server.url, '/api/sessions', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    const accounts = `__Secure-accounts-session=${signin.cookies['__Secure-accounts-session']?.value}`;
    const v8 = `toggl_api_session_new=${(await request(server.url, '/api/v8/sessions', { method: 'POST', auth: [email, GOOD_PASSWORD] })).cookies['toggl_api_session_new']?.value}`;
    const apiToken = ((await request(server.url, '/api/v9/me', { cookie: accounts })).json as { api_token: string }).api_token;
    const alive = async () => [
      (await bb(server, `/admin/${company.id}/company`, { app, token: tokens[0] })).status,
      (await bb(server, `/admin/${company.id}/company`, { app, token: tokens[1] })).status,
      (await request(server.url, '/api/v9/me', { cookie: accounts })).status,
      (await request(server.url, '/api/v8/me', { cookie: v8 })).status,
      (await request(server.url, '/api/v9/me', { auth: [apiToken, 'api_token'] })).status,
    ];
    assert.deepEqual(await alive(), [200, 200, 200, 200, 200]);

    const revoked = await json(['account', 'revoke', '--email', email]);
    assert.deepEqual(revoked, { account_id: revoked.account_id, email, revoked_sessions: 4 });
    assert.deepEqual(await alive(), [401, 401, 403, 403, 403], 'Auth-Tokens, accounts session, v8 session, API token');
    const events = await server.core.store.auditOf(Number(revoked.account_id));
    const event = events.find((e) => e.event === 'sessions.revoke');
    assert.ok(event, `audited: ${events.map((e) => e.event).join(', ')}`);
    assert.equal(event.ip, 'cli');
    assert.equal(event.user_agent, 'gatehouse-cli');
    assert.equal((await request(server.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] })).status, 200, 'the password still works');
    assert.equal((await bb(server, `/login/admin/${company.id}`, { app, body: { email, password: GOOD_PASSWORD } })).status, 200);
    await refused(['account', 'revoke', '--email', uniqueEmail('nobody')], 1, /no open account/);
  });

  it('wrong or missing arguments: a message on stderr, a non-zero exit, nothing written', async () => {
    const c = await json(['company', 'create', '--name', 'Errors']);
    const id = String(c.id);
    await refused(['company', 'create'], 2, /--name is required/);
    await refused(['company', 'create', '--name', 'X', '--parent', 'abc'], 2, /--parent must be a positive whole number/);
    await refused(['company', 'create', '--name', 'X', '--parent', '987654321'], 1, /Company not found/);
    await refused(['company', 'create', '--name', 'X', '--bogus'], 2, /Unknown option '--bogus'/);
    await refused(['company', 'delete'], 2, /unknown command "gatehouse company delete"/);
    await refused(['app', 'create', '--company', id], 2, /--name is required/);
    await refused(['app', 'create', '--company', '987654321', '--name', 'x'], 1, /Company not found/);
    await refused(['app', 'revoke'], 2, /expected 1 argument/);
    await refused(['admin', 'create', '--company', id, '--email', uniqueEmail('x'), '--password', GOOD_PASSWORD, '--name', 'X', '--role', 'king'], 2, /--role must be one of owner, admin, user, callcentre/);
    await refused(['admin', 'create', '--company', id, '--email', uniqueEmail('x'), '--password', 'a', '--password-stdin', '--name', 'X'], 2, /not both/, 'b\n');

    const nobody = [uniqueEmail('cli-weak'), uniqueEmail('cli-nocompany'), uniqueEmail('cli-nopass'), 'not-an-email'];
    await refused(['admin', 'create', '--company', id, '--email', nobody[0] ?? '', '--password', 'short', '--name', 'W'], 1, /at least 8 characters/);
    await refused(['admin', 'create', '--company', '987654321', '--email', nobody[1] ?? '', '--password', GOOD_PASSWORD, '--name', 'W'], 1, /Company not found/);
    await refused(['member', 'create', '--company', id, '--email', nobody[2] ?? '', '--first-name', 'A', '--last-name', 'B'], 1, /password is required/);
    await refused(['member', 'create', '--company', id, '--email', nobody[3] ?? '', '--password', GOOD_PASSWORD, '--first-name', 'A', '--last-name', 'B'], 1, /Invalid email/);
    for (const email of nobody) assert.equal(await server.core.store.accountByEmailKey(emailKey(email)), undefined, `no account was created for ${email}`);
    assert.deepEqual((await json(['app', 'list', '--company', id])).applications, [], 'no application was created');
  });
});
