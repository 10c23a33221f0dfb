// BookingBug logins over a real socket: every login route with each body encoding, the HAL answer and its
// links, the multi-company 400 and the follow-up login, parent/child trees, application checks, member
// tokens, logout, switching company and the login throttle (spec bookingbug.md §2-§5).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admin, application, bb, company, ENCODINGS, login, member, type App, type LoginAnswer } from '../helpers/bookingbug.js';
import { request } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';

const TOKEN = /^[A-Za-z0-9_-]{22}$/;

describe('BookingBug logins', () => {
  let server: TestServer;
  // grand -> parent -> child -> grandchild; grand -> sibling (of parent)
  let grand: number, parent: number, child: number, grandchild: number, sibling: number;
  let app: App;
  let base: string;
  const parentAdmin = uniqueEmail('bb-parent-admin');

  before(async () => {
    server = await startTestServer();
    base = `${server.config.publicUrl}/api/v1`;
    grand = await company(server, 'Grand');
    parent = await company(server, 'Parent', grand);
    child = await company(server, 'Child', parent);
    grandchild = await company(server, 'Grandchild', child);
    sibling = await company(server, 'Sibling', grand);
    app = await application(server, grand);
    await admin(server, parent, parentAdmin, { role: 'admin', name: 'Pat Parent' });
  });
  after(async () => server.stop());

  const get = (path: string, token: string, a: App = app) => bb(server, path, { app: a, token });

  for (const encoding of ENCODINGS) {
    it(`logs in on every route with a ${encoding} body`, async () => {
      const email = uniqueEmail(`bb-${encoding}`);
      const adminId = await admin(server, child, email);
      const memberEmail = uniqueEmail(`bb-member-${encoding}`);
      const memberId = await member(server, child, memberEmail);
      const creds = { email, password: GOOD_PASSWORD };

      const answers: Array<[string, LoginAnswer]> = [
        ['/login', await login(server, app, '/login', creds, encoding)],
        ['/login (id)', await login(server, app, '/login', { ...creds, id: child }, encoding)],
        ['/login/{id}', await login(server, app, `/login/${child}`, creds, encoding)],
        ['/login/admin', await login(server, app, '/login/admin', creds, encoding)],
        ['/login/admin/{id}', await login(server, app, `/login/admin/${child}`, creds, encoding)],
      ];
      const tokens = new Set<string>();
      for (const [route, a] of answers) {
        assert.match(a.auth_token, TOKEN, route);
        tokens.add(a.auth_token);
        assert.equal(a.company_id, child, route);
        assert.equal(a.email, email, route);
        assert.equal(a.role, 'owner', route);
        assert.equal(a.path, base, route);
        assert.equal(a._embedded.administrators.length, 1, route);
        assert.equal(a._embedded.administrators[0]?.id, adminId, route);
        assert.deepEqual(a._embedded.members, [], route);
        assert.equal(a._links.self?.href, `${base}/login/${child}`, route);
        assert.deepEqual(a._links.administrator, { href: `${base}/admin/${child}/administrators/${adminId}`, templated: true }, route);
        const company = await get(`/admin/${child}/company`, a.auth_token);
        assert.equal(company.status, 200, `${route}: ${company.text}`);
        assert.equal((company.json as { id: number }).id, child);
      }
      assert.equal(tokens.size, answers.length, 'a new token on every login');

      const memberLogins: Array<[string, Record<string, string>]> = [
        [`/login/member/${child}`, { email: memberEmail, password: GOOD_PASSWORD }],
        [`/login/${child}`, { email: memberEmail, password: GOOD_PASSWORD, role: 'member' }],
      ];
      for (const [path, body] of memberLogins) {
        const m = await login(server, app, path, body, encoding);
        assert.match(m.auth_token, TOKEN);
        assert.equal(m.company_id, child);
        assert.equal(m.role, undefined);
        assert.equal(m._embedded.administrators.length, 0);
        assert.equal((m._embedded.members[0] as { id: number }).id, memberId);
        assert.deepEqual(m._links.member, { href: `${base}/${child}/members/${memberId}`, templated: true });
        const self = await get(`/${child}/members/${memberId}`, m.auth_token);
        assert.equal(self.status, 200, self.text);
        assert.equal((self.json as { email: string }).email, memberEmail);
      }
    });
  }

  it('every link of a login answer can be followed with its token', async () => {
    const email = uniqueEmail('bb-links');
    await admin(server, grandchild, email);
    const a = await login(server, app, `/login/admin/${grandchild}`, { email, password: GOOD_PASSWORD });
    const embedded = a._embedded.administrators[0];
    assert.ok(embedded);
    for (const name of ['self', 'edit', 'company']) {
      const href: string = embedded._links[name]?.href ?? '';
      assert.ok(href.startsWith(`${base}/`), `${name} is absolute: ${href}`);
      const res = await get(href.slice(base.length), a.auth_token);
      assert.equal(res.status, 200, `${name} ${href}: ${res.text}`);
    }
    const admins = await get(`/admin/${grandchild}/administrators`, a.auth_token);
    assert.equal(admins.status, 200);
    const listed = (admins.json as { _embedded: { administrators: Array<{ email: string }> } })._embedded.administrators.map((x) => x.email);
    assert.ok(listed.includes(email) && listed.includes(parentAdmin), 'the company own administrators and those of its ancestors');
    assert.equal((await get(`/admin/${grandchild}/administrators/999999`, a.auth_token)).status, 404);
    const fields = embedded as unknown as Record<string, unknown>;
    assert.equal(fields.name, 'Ann Admin');
    assert.equal(fields.email, email);
    assert.equal(fields.role, 'owner');
    assert.equal(fields.company_id, grandchild);
    assert.match(String(fields.company_name), /^Grandchild /);
    assert.deepEqual(embedded._links, {
      self: { href: `${base}/admin/${grandchild}/administrators/${embedded.id}` },
      edit: { href: `${base}/admin/${grandchild}/administrators/${embedded.id}/edit` },
      company: { href: `${base}/admin/${grandchild}/company` },
      login: { href: `${base}/login/admin/${grandchild}` },
      base_login: { href: `${base}/login/admin` },
    });
    const relogin = embedded._links.login?.href ?? '';
    assert.equal(relogin, `${base}/login/admin/${grandchild}`);
    const again = await bb(server, relogin.slice(base.length), { app, body: { email, password: GOOD_PASSWORD } });
    assert.equal(again.status, 200, again.text);
  });

  it('answers 400 with one administrator per company when the email administers several, then logs in at the chosen link', async () => {
    const email = uniqueEmail('bb-multi');
    await admin(server, child, email, { role: 'owner' });
    await admin(server, sibling, email, { role: 'user' });
    for (const path of ['/login', '/login/admin']) {
      const res = await bb(server, path, { app, body: { email, password: GOOD_PASSWORD } });
      assert.equal(res.status, 400, res.text);
      const doc = res.json as LoginAnswer;
      assert.equal(doc.auth_token, undefined, 'no token');
      assert.equal(doc.email, email);
      assert.equal(doc.path, base);
      assert.deepEqual(doc._embedded.members, []);
      const admins = doc._embedded.administrators;
      assert.deepEqual(admins.map((x) => x.company_id).sort((x, y) => x - y), [child, sibling].sort((x, y) => x - y));
      for (const x of admins) {
        assert.equal(x._links.login?.href, `${base}/login/admin/${x.company_id}`, 'one login link per company');
        assert.equal(x._links.company?.href, `${base}/admin/${x.company_id}/company`);
        assert.equal((x as unknown as { email: string }).email, email);
        assert.equal(typeof (x as unknown as { company_name: unknown }).company_name, 'string');
      }
      const listed = doc._links.administrators as unknown as Array<{ href: string }>;
      assert.deepEqual(listed.map((l) => l.href).sort(), admins.map((x) => `${base}/login/admin/${x.company_id}`).sort(), '_links.administrators: one link per company');
      const pick = admins.find((x) => x.company_id === sibling);
      assert.ok(pick);
      assert.equal(pick.role, 'user');
      const link = pick._links.login?.href ?? '';
      assert.equal(link, `${base}/login/admin/${sibling}`);
      const chosen = await bb(server, link.slice(base.length), { app, body: { email, password: GOOD_PASSWORD } });
      assert.equal(chosen.status, 200, chosen.text);
      assert.equal((chosen.json as LoginAnswer).company_id, sibling);
      assert.equal((chosen.json as LoginAnswer).role, 'user');
    }
    // Naming a company with `id` picks it at once.
    const direct = await login(server, app, '/login', { email, password: GOOD_PASSWORD, id: child });
    assert.equal(direct.company_id, child);
  });

  it('a parent token works on its children and grandchildren, never on a sibling or an ancestor', async () => {
    const a = await login(server, app, `/login/admin/${parent}`, { email: parentAdmin, password: GOOD_PASSWORD });
    assert.equal(a.company_id, parent);
    for (const id of [parent, child, grandchild]) {
      const res = await get(`/admin/${id}/company`, a.auth_token);
      assert.equal(res.status, 200, `company ${id}: ${res.text}`);
    }
    for (const id of [sibling, grand]) {
      for (const path of [`/admin/${id}/company`, `/admin/${id}/administrators`, `/login/admin/${id}`]) {
        const res = await get(path, a.auth_token);
        assert.equal(res.status, 403, `${path}: ${res.text}`);
        assert.deepEqual(res.json, { error: 'Forbidden' });
      }
    }
    assert.deepEqual((await get('/admin/99999999/company', a.auth_token)).json, { error: 'Company not found' });
  });

  it('a parent administrator logs into a child with id; that token acts in the child only', async () => {
    const a = await login(server, app, '/login', { email: parentAdmin, password: GOOD_PASSWORD, id: child });
    assert.equal(a.company_id, child);
    assert.equal(a._embedded.administrators[0]?.company_id, parent, 'the administrator record is the parent company one');
    assert.equal((await get(`/admin/${child}/company`, a.auth_token)).status, 200);
    assert.equal((await get(`/admin/${grandchild}/company`, a.auth_token)).status, 200);
    assert.equal((await get(`/admin/${parent}/company`, a.auth_token)).status, 403);
    const res = await bb(server, '/login', { app, body: { email: parentAdmin, password: GOOD_PASSWORD, id: sibling } });
    assert.equal(res.status, 401, 'not an administrator of the sibling');
    assert.deepEqual(res.json, { error: 'Invalid email or password' });
  });

  it('GET /login/admin/{id} re-renders the session and PUT /login/admin switches company', async () => {
    const a = await login(server, app, `/login/admin/${parent}`, { email: parentAdmin, password: GOOD_PASSWORD });
    const shown = await get(`/login/admin/${parent}`, a.auth_token);
    assert.equal(shown.status, 200, shown.text);
    assert.equal((shown.json as LoginAnswer).auth_token, a.auth_token);
    assert.equal((shown.json as LoginAnswer).company_id, parent);

    const put = (company_id: number | string, encoding: 'json' | 'form' = 'json') =>
      bb(server, '/login/admin', { method: 'PUT', app, token: a.auth_token, body: { company_id }, encoding });
    const moved = await put(child);
    assert.equal(moved.status, 200, moved.text);
    assert.equal((moved.json as LoginAnswer).company_id, child);
    assert.equal((moved.json as LoginAnswer).auth_token, a.auth_token, 'the token stays the same');
    assert.equal((await get(`/admin/${parent}/company`, a.auth_token)).status, 403, 'the session now acts in the child');
    assert.equal((await get(`/admin/${grandchild}/company`, a.auth_token)).status, 200);
    assert.equal((await put(String(parent), 'form')).status, 200, 'back to the administrator own company');
    assert.equal((await get(`/admin/${parent}/company`, a.auth_token)).status, 200);
    const away = await put(sibling);
    assert.equal(away.status, 403, away.text);
    assert.deepEqual(away.json, { error: 'Forbidden' });
    assert.equal((await put(999999999)).status, 404);
    assert.equal((await put('abc')).status, 400);
    const noToken = await bb(server, '/login/admin', { method: 'PUT', app, body: { company_id: child } });
    assert.equal(noToken.status, 401);
    assert.deepEqual(noToken.json, { error: '401 Unauthorized' });
  });

  it('headers are case-insensitive; the Auth-Token (128 bits, URL-safe base64) counts only as a header', async () => {
    const email = uniqueEmail('bb-headers');
    await admin(server, grand, email);
    const body = JSON.stringify({ email, password: GOOD_PASSWORD });
    const res = await request(server.url, '/api/v1/login/admin', {
      method: 'POST',
      headers: { 'APP-ID': app.appId, 'app-key': app.appKey ?? '', 'CONTENT-TYPE': 'application/json' },
      body,
    });
    assert.equal(res.status, 200, res.text);
    const token = (res.json as LoginAnswer).auth_token;
    assert.match(token, TOKEN);
    assert.equal(Buffer.from(token, 'base64url').length, 16, '128 bits');
    assert.equal(Buffer.from(token, 'base64url').toString('base64url'), token, 'canonical URL-safe base64, no padding');
    for (const name of ['Auth-Token', 'auth-token', 'AUTH-TOKEN', 'aUtH-tOkEn']) {
      const ok = await request(server.url, `/api/v1/admin/${grand}/company`, { headers: { 'app-id': app.appId, 'APP-KEY': app.appKey ?? '', [name]: token } });
      assert.equal(ok.status, 200, `${name}: ${ok.text}`);
    }
    const elsewhere: Array<[string, Record<string, string>]> = [
      [`/api/v1/admin/${grand}/company?auth_token=${token}`, {}],
      [`/api/v1/admin/${grand}/company?Auth-Token=${token}`, {}],
      [`/api/v1/admin/${grand}/company`, { Cookie: `auth_token=${token}; Auth-Token=${token}` }],
      [`/api/v1/admin/${grand}/company`, { Authorization: `Bearer ${token}` }],
      [`/api/v1/admin/${grand}/company`, { 'X-Auth-Token': token }],
    ];
    for (const [path, headers] of elsewhere) {
      const refused = await request(server.url, path, { headers: { 'App-Id': app.appId, 'App-Key': app.appKey ?? '', ...headers } });
      assert.equal(refused.status, 401, `${path} ${JSON.stringify(headers)}: ${refused.text}`);
      assert.deepEqual(refused.json, { error: '401 Unauthorized' });
    }
  });

  it('refuses a missing, unknown or revoked App-Id and a wrong or missing App-Key with 401', async () => {
    const email = uniqueEmail('bb-app');
    await admin(server, grand, email);
    const body = { email, password: GOOD_PASSWORD };
    const invalid = { error: 'Invalid App-Id or App-Key' };
    const ok = await login(server, app, '/login/admin', body);
    const cases: Array<[string, App | undefined]> = [
      ['no App-Id', undefined],
      ['unknown App-Id', { appId: '0123456789abcdef', appKey: app.appKey }],
      ['malformed App-Id', { appId: 'x'.repeat(300), appKey: app.appKey }],
      ['wrong App-Key', { appId: app.appId, appKey: 'f'.repeat(32) }],
      ['missing App-Key', { appId: app.appId, appKey: undefined }],
    ];
    for (const [label, a] of cases) {
      for (const [path, options] of [
        ['/login/admin', { body }],
        [`/admin/${grand}/company`, { token: ok.auth_token }],
        ['/logout', { method: 'DELETE', token: ok.auth_token }],
        ['/login/admin/reset_password_email', { body: { email } }],
        [`/login/${grand}/reset_password`, { method: 'PUT', body: { reset_password_token: 'ABCDEFGHJKLM', password: GOOD_PASSWORD } }],
        ['/no/such/route', {}],
      ] as const) {
        const res = await bb(server, path, { app: a, ...options });
        assert.equal(res.status, 401, `${label} ${path}: ${res.text}`);
        assert.deepEqual(res.json, invalid, `${label} ${path}`);
      }
    }
    assert.equal((await get(`/admin/${grand}/company`, ok.auth_token)).status, 200, 'the token still works with its own application');

    const keyless = await application(server, grand, false);
    assert.equal(keyless.appKey, undefined);
    const k = await login(server, keyless, '/login/admin', body);
    assert.equal((await get(`/admin/${grand}/company`, k.auth_token, keyless)).status, 200, 'an application without a key needs no App-Key');
    const withSomeKey = { appId: keyless.appId, appKey: 'f'.repeat(32) };
    assert.equal((await get(`/admin/${grand}/company`, k.auth_token, withSomeKey)).status, 200, 'an App-Key sent to an application without one is ignored (ours)');
    const other = await get(`/admin/${grand}/company`, ok.auth_token, keyless);
    assert.equal(other.status, 401, 'a token only works with the application it was issued to');
    assert.deepEqual(other.json, { error: '401 Unauthorized' });

    const doomed = await application(server, grand);
    const d = await login(server, doomed, '/login/admin', body);
    assert.ok(await server.core.applications.revoke(doomed.appId, { ip: 'test', userAgent: undefined }));
    for (const res of [await bb(server, '/login/admin', { app: doomed, body }), await get(`/admin/${grand}/company`, d.auth_token, doomed)]) {
      assert.equal(res.status, 401);
      assert.deepEqual(res.json, invalid);
    }
  });

  it('an application is used only for its company and descendants', async () => {
    const childApp = await application(server, child);
    const email = uniqueEmail('bb-app-tree');
    await admin(server, sibling, email);
    const res = await bb(server, `/login/admin/${sibling}`, { app: childApp, body: { email, password: GOOD_PASSWORD } });
    assert.equal(res.status, 403, res.text);
    assert.deepEqual(res.json, { error: 'Forbidden' });
    assert.equal((await bb(server, '/login/admin', { app: childApp, body: { email, password: GOOD_PASSWORD } })).status, 401, 'no company of the tree');
    assert.equal((await bb(server, `/login/admin/${parent}`, { app: childApp, body: { email: parentAdmin, password: GOOD_PASSWORD } })).status, 403);
    // An administrator of an ancestor logs in through the child's application into the child.
    const a = await login(server, childApp, '/login/admin', { email: parentAdmin, password: GOOD_PASSWORD });
    assert.equal(a.company_id, child);
    assert.equal((await get(`/admin/${child}/company`, a.auth_token, childApp)).status, 200);
    assert.equal((await get(`/admin/${parent}/company`, a.auth_token, childApp)).status, 403);
  });

  it('a member token never opens an admin route; administrators cannot use member logins', async () => {
    const email = uniqueEmail('bb-member');
    const memberId = await member(server, child, email);
    const m = await login(server, app, `/login/member/${child}`, { email, password: GOOD_PASSWORD });
    for (const path of [`/admin/${child}/company`, `/admin/${child}/administrators`, `/login/admin/${child}`]) {
      const res = await get(path, m.auth_token);
      assert.equal(res.status, 401, `${path}: ${res.text}`);
      assert.deepEqual(res.json, { error: '401 Unauthorized' });
    }
    assert.equal((await bb(server, '/login/admin', { method: 'PUT', app, token: m.auth_token, body: { company_id: child } })).status, 401);
    const other = await member(server, child, uniqueEmail('bb-member-other'));
    assert.equal((await get(`/${child}/members/${other}`, m.auth_token)).status, 403, 'a member sees only itself');
    assert.equal((await get(`/${child}/members/${memberId}`, m.auth_token)).status, 200);
    // A member-only account logs in as member through /login too.
    const viaLogin = await login(server, app, '/login', { email, password: GOOD_PASSWORD });
    assert.equal((viaLogin._embedded.members[0] as { id: number }).id, memberId);

    const res = await bb(server, `/login/member/${child}`, { app, body: { email: parentAdmin, password: GOOD_PASSWORD } });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, { error: 'Invalid email or password' });
    assert.equal((await bb(server, '/login/admin', { app, body: { email, password: GOOD_PASSWORD } })).status, 401, 'a member is no administrator');

    const out = await bb(server, '/logout', { method: 'DELETE', app, token: m.auth_token });
    assert.equal(out.status, 200, out.text);
    assert.deepEqual(out.json, { message: 'Logged out' });
    assert.equal((await get(`/${child}/members/${memberId}`, m.auth_token)).status, 401, 'a member token dies at logout too');
  });

  it('POST /login/{company_id}: an administrator unless role is "member"; a member-only account logs in as member', async () => {
    const both = uniqueEmail('bb-both');
    const adminId = await admin(server, child, both);
    const memberId = await member(server, child, both);
    const creds = { email: both, password: GOOD_PASSWORD };
    const plain = await login(server, app, `/login/${child}`, creds);
    assert.equal(plain._embedded.administrators[0]?.id, adminId, 'administrator first');
    const other = await login(server, app, `/login/${child}`, { ...creds, role: 'admin' });
    assert.equal(other._embedded.administrators[0]?.id, adminId, 'another role value is ignored (ours)');
    const asMember = await login(server, app, `/login/${child}`, { ...creds, role: 'member' });
    assert.equal((asMember._embedded.members[0] as { id: number }).id, memberId);
    assert.equal(asMember.role, undefined);

    const onlyMember = uniqueEmail('bb-only-member');
    const onlyId = await member(server, child, onlyMember);
    const m = await login(server, app, `/login/${child}`, { email: onlyMember, password: GOOD_PASSWORD });
    assert.equal((m._embedded.members[0] as { id: number }).id, onlyId);
    const elsewhere = await bb(server, `/login/${grandchild}`, { app, body: { email: onlyMember, password: GOOD_PASSWORD } });
    assert.equal(elsewhere.status, 401, 'a member record works only in its own company');
  });

  it('a wrong password and an unknown email get the same answer; an unknown company 404', async () => {
    const email = uniqueEmail('bb-wrong');
    await admin(server, grand, email);
    const wrong = await bb(server, '/login/admin', { app, body: { email, password: 'not-the-password-1' } });
    const unknown = await bb(server, '/login/admin', { app, body: { email: uniqueEmail('bb-nobody'), password: 'not-the-password-1' } });
    for (const res of [wrong, unknown]) {
      assert.equal(res.status, 401);
      assert.equal(res.text, JSON.stringify({ error: 'Invalid email or password' }));
    }
    assert.equal(wrong.headers.get('x-remaining-login-attempts'), unknown.headers.get('x-remaining-login-attempts'));

    // A Toggl-only account with its right password: exactly an unknown email, and the failure counts.
    const togglOnly = uniqueEmail('bb-toggl-only');
    assert.equal((await request(server.url, '/api/signup', { method: 'POST', json: { email: togglOnly, password: GOOD_PASSWORD } })).status, 201);
    const first = await bb(server, '/login', { app, body: { email: togglOnly, password: GOOD_PASSWORD } });
    assert.equal(first.status, 401);
    assert.equal(first.text, unknown.text);
    assert.equal(first.headers.get('x-remaining-login-attempts'), unknown.headers.get('x-remaining-login-attempts'));
    const second = await bb(server, '/login', { app, body: { email: togglOnly, password: GOOD_PASSWORD } });
    assert.equal(Number(second.headers.get('x-remaining-login-attempts')), Number(first.headers.get('x-remaining-login-attempts')) - 1, 'the right password did not reset the count');
    const nowhere = await bb(server, '/login/admin/987654321', { app, body: { email, password: GOOD_PASSWORD } });
    assert.equal(nowhere.status, 404);
    assert.deepEqual(nowhere.json, { error: 'Company not found' });
    assert.equal((await bb(server, '/login', { app, body: { email, password: GOOD_PASSWORD, id: 987654321 } })).status, 404);
  });

  it('locks password logins after repeated failures (429 with Retry-After); tokens keep working', async () => {
    const email = uniqueEmail('bb-lock');
    await admin(server, grand, email);
    const a = await login(server, app, '/login/admin', { email, password: GOOD_PASSWORD });
    for (let i = 0; i < server.config.login.maxFailures; i++) {
      assert.equal((await bb(server, '/login/admin', { app, body: { email, password: `wrong-password-${i}` } })).status, 401);
    }
    const locked = await bb(server, '/login/admin', { app, body: { email, password: GOOD_PASSWORD } });
    assert.equal(locked.status, 429, locked.text);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    assert.equal(typeof (locked.json as { error: unknown }).error, 'string');
    assert.equal((await get(`/admin/${grand}/company`, a.auth_token)).status, 200);
  });

  for (const path of ['/login', '/logout']) {
    it(`DELETE ${path} logs out: 200 {"message"}, and the token is dead at once`, async () => {
      const email = uniqueEmail('bb-logout');
      await admin(server, grand, email);
      const a = await login(server, app, '/login/admin', { email, password: GOOD_PASSWORD });
      const b = await login(server, app, '/login/admin', { email, password: GOOD_PASSWORD });
      const out = await bb(server, path, { method: 'DELETE', app, token: a.auth_token, headers: { 'Content-Type': 'application/json' } });
      assert.equal(out.status, 200, out.text);
      assert.deepEqual(out.json, { message: 'Logged out' });
      const reuse = await get(`/admin/${grand}/company`, a.auth_token);
      assert.equal(reuse.status, 401);
      assert.deepEqual(reuse.json, { error: '401 Unauthorized' });
      assert.equal((await bb(server, path, { method: 'DELETE', app, token: a.auth_token })).status, 401, 'a second logout is refused');
      assert.equal((await get(`/admin/${grand}/company`, b.auth_token)).status, 200, 'other tokens survive');
      assert.equal((await bb(server, path, { method: 'DELETE', app })).status, 401, 'no token');
      const events = (await server.core.store.auditOf(Number((await server.core.store.accountByEmailKey(email))?.id))).map((e) => e.event);
      assert.ok(events.includes('login.success') && events.includes('logout'), events.join(','));
    });
  }
});

describe('BookingBug token expiry', () => {
  let server: TestServer;
  let app: App;
  let root: number;

  before(async () => {
    server = await startTestServer({ BB_TOKEN_IDLE_SECONDS: '2', BB_TOKEN_MAX_SECONDS: '5' });
    root = await company(server, 'Expiry');
    app = await application(server, root);
  });
  after(async () => server.stop());

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('slides with use, dies after the idle time, and dies at the absolute maximum however active', async () => {
    const email = uniqueEmail('bb-expiry');
    await admin(server, root, email);
    const idle = await login(server, app, '/login/admin', { email, password: GOOD_PASSWORD });
    const busy = await login(server, app, '/login/admin', { email, password: GOOD_PASSWORD });
    const use = (token: string) => bb(server, `/admin/${root}/company`, { app, token });
    const started = Date.now();
    // The busy token is used every 1.2 s: each use moves its idle deadline.
    for (let i = 0; i < 3; i++) {
      await sleep(1200);
      assert.equal((await use(busy.auth_token)).status, 200, `busy token at ${Date.now() - started} ms`);
    }
    const dead = await use(idle.auth_token);
    assert.equal(dead.status, 401, 'idle for more than 2 s');
    assert.deepEqual(dead.json, { error: '401 Unauthorized' });
    while (Date.now() - started < 5200) {
      await sleep(800);
      if (Date.now() - started < 4800) assert.equal((await use(busy.auth_token)).status, 200);
    }
    assert.equal((await use(busy.auth_token)).status, 401, 'past BB_TOKEN_MAX_SECONDS');
  });
});
