// Toggl Track API v9 (/api/v9), spec/toggl.md §2, §5 and §6: every route, the user and workspace objects
// (names and order), the validation messages, and the credential rules of §1 as v9 renders them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request, type Response } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';

const ACCOUNTS_COOKIE = '__Secure-accounts-session';
const API_COOKIE = 'toggl_api_session_new';
const RFC3339_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const HEX32 = /^[0-9a-f]{32}$/;

const V9_USER_FIELDS = [
  'id',
  'api_token',
  'email',
  'fullname',
  'timezone',
  'toggl_accounts_id',
  'default_workspace_id',
  'beginning_of_week',
  'image_url',
  'created_at',
  'updated_at',
  'openid_email',
  'openid_enabled',
  'country_id',
  'has_password',
  'at',
  'intercom_hash',
  'oauth_providers',
  'authorization_updated_at',
];
const V9_RELATED_FIELDS = ['clients', 'projects', 'tags', 'tasks', 'time_entries', 'workspaces'];
const V9_WORKSPACE_FIELDS = [
  'id',
  'organization_id',
  'name',
  'premium',
  'business_ws',
  'admin',
  'role',
  'default_hourly_rate',
  'default_currency',
  'only_admins_may_create_projects',
  'only_admins_may_create_tags',
  'only_admins_see_billable_rates',
  'projects_billable_by_default',
  'rounding',
  'rounding_minutes',
  'api_token',
  'at',
  'logo_url',
];
const USER_OPTIONAL = new Set(['intercom_hash']);
const WS_OPTIONAL = new Set(['api_token', 'logo_url']);

type Json = Record<string, unknown>;

/** The keys of an object must be the spec's list in order; fields marked optional may be left out. */
function assertFieldOrder(actual: Json, expected: string[], optional: Set<string>, what: string): void {
  const keys = Object.keys(actual);
  const wanted = expected.filter((k) => keys.includes(k) || !optional.has(k));
  assert.deepEqual(keys, wanted, `${what}: field names and order`);
}

function obj(res: Response): Json {
  assert.equal(typeof res.json, 'object', `expected a JSON object, got ${res.status} ${res.text}`);
  assert.ok(res.json !== null && !Array.isArray(res.json));
  return res.json as Json;
}

function cookieOf(res: Response, name: string): string {
  const c = res.cookies[name];
  assert.ok(c && c.value.length > 0, `response sets ${name}`);
  return `${name}=${c.value}`;
}

function assertJsonString(res: Response, status: number, message: string): void {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.json, message);
}

function assertUnauthenticated(res: Response): void {
  assert.equal(res.status, 401);
  assert.equal(res.text, '');
  assert.equal(res.headers.get('x-authorization-missing'), 'true');
}

interface User {
  email: string;
  password: string;
  id: number;
  token: string;
  cookie: string;
  fullname: string;
}

describe('Toggl API v9 (/api/v9)', () => {
  let server: TestServer;
  const v9 = (path: string) => `/api/v9${path}`;

  async function newUser(fullname = 'Vera Nine'): Promise<User> {
    const email = uniqueEmail('v9');
    const res = await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD, display_name: fullname } });
    assert.equal(res.status, 201, res.text);
    const cookie = cookieOf(res, ACCOUNTS_COOKIE);
    const me = obj(await request(server.url, v9('/me'), { cookie }));
    return { email, password: GOOD_PASSWORD, id: me.id as number, token: me.api_token as string, cookie, fullname };
  }

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  it('answers 401 with an empty body and X-Authorization-Missing without credentials', async () => {
    for (const [method, path] of [
      ['GET', '/me'],
      ['PUT', '/me'],
      ['GET', '/me/logged'],
      ['POST', '/me/reset_token'],
      ['GET', '/me/workspaces'],
      ['POST', '/me/sessions'],
      ['POST', '/me/close_account'],
    ] as const) {
      const res = await request(server.url, v9(path), { method, ...(method === 'PUT' ? { json: { fullname: 'Nobody' } } : {}) });
      assertUnauthenticated(res);
    }
  });

  it('checks credentials before validating the body (§1: 401 without credentials, 403 with wrong ones)', async () => {
    const u = await newUser();
    // A request without credentials learns nothing about the body rules: 401 whatever the body.
    assertUnauthenticated(await request(server.url, v9('/me'), { method: 'PUT' }));
    assertUnauthenticated(await request(server.url, v9('/me'), { method: 'PUT', json: { fullname: 5 } }));
    assertJsonString(await request(server.url, v9('/me'), { method: 'PUT', auth: [u.email, 'wrong-password-123'], json: { fullname: 5 } }), 403, 'Incorrect username and/or password');
  });

  it('answers 403 with a JSON string for wrong credentials of every kind', async () => {
    const u = await newUser();
    assertJsonString(await request(server.url, v9('/me'), { auth: [u.email, 'wrong-password-123'] }), 403, 'Incorrect username and/or password');
    assertJsonString(await request(server.url, v9('/me'), { auth: [uniqueEmail('nobody'), 'wrong-password-123'] }), 403, 'Incorrect username and/or password');
    assertJsonString(await request(server.url, v9('/me'), { auth: ['0'.repeat(32), 'api_token'] }), 403, 'Incorrect username and/or password');
    assertJsonString(await request(server.url, v9('/me/logged'), { cookie: `${ACCOUNTS_COOKIE}=not-a-jws` }), 403, 'Incorrect username and/or password');
    assertJsonString(await request(server.url, v9('/me/logged'), { cookie: `${API_COOKIE}=not-a-session` }), 403, 'Incorrect username and/or password');
    const malformed = await request(server.url, v9('/me'), { headers: { authorization: 'Basic !!!' } });
    assert.equal(malformed.status, 403);
    assert.equal(typeof malformed.json, 'string');
  });

  it('GET /me returns the §5 user object, in order, for every kind of credential', async () => {
    const u = await newUser('Ada Order');
    const byPassword = await request(server.url, v9('/me'), { auth: [u.email, u.password] });
    assert.equal(byPassword.status, 200, byPassword.text);
    assert.equal(byPassword.headers.get('cache-control'), 'no-store');
    assert.match(byPassword.headers.get('content-type') ?? '', /^application\/json/);
    const me = obj(byPassword);
    assertFieldOrder(me, V9_USER_FIELDS, USER_OPTIONAL, 'v9 user');
    for (const k of V9_RELATED_FIELDS) assert.ok(!(k in me), `${k} only with related data`);

    assert.equal(me.id, u.id);
    assert.equal(typeof me.id, 'number');
    assert.match(me.api_token as string, HEX32);
    assert.equal(me.email, u.email);
    assert.equal(me.fullname, 'Ada Order');
    assert.equal(me.timezone, 'UTC');
    assert.match(me.toggl_accounts_id as string, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(typeof me.default_workspace_id, 'number');
    assert.equal(me.beginning_of_week, 1);
    assert.equal(typeof me.image_url, 'string');
    for (const k of ['created_at', 'updated_at', 'at', 'authorization_updated_at']) assert.match(me[k] as string, RFC3339_Z, k);
    assert.equal(me.openid_email, null);
    assert.equal(me.openid_enabled, false);
    assert.equal(me.country_id, null);
    assert.equal(me.has_password, true);
    assert.deepEqual(me.oauth_providers, []);

    // Email matched case-insensitively after trimming; the API token and the cookie give the same user.
    const upper = await request(server.url, v9('/me'), { auth: [`  ${u.email.toUpperCase()} `, u.password] });
    assert.equal(upper.status, 200, upper.text);
    assert.deepEqual(obj(upper), me);
    assert.deepEqual(obj(await request(server.url, v9('/me'), { auth: [u.token, 'api_token'] })), me);
    assert.deepEqual(obj(await request(server.url, v9('/me'), { cookie: u.cookie })), me);
    assert.deepEqual(obj(await request(server.url, v9('/me?with_related_data=false'), { cookie: u.cookie })), me);
  });

  it('GET /me?with_related_data=true adds the related arrays and the workspace objects', async () => {
    const u = await newUser('Rel Ated');
    const res = await request(server.url, v9('/me?with_related_data=true'), { auth: [u.token, 'api_token'] });
    assert.equal(res.status, 200, res.text);
    const me = obj(res);
    assertFieldOrder(me, [...V9_USER_FIELDS, ...V9_RELATED_FIELDS], USER_OPTIONAL, 'v9 user with related data');
    for (const k of ['clients', 'projects', 'tags', 'tasks', 'time_entries']) {
      assert.ok(me[k] === null || (Array.isArray(me[k]) && (me[k] as unknown[]).length === 0), `${k} is [] or null`);
    }
    const workspaces = me.workspaces as Json[];
    assert.ok(Array.isArray(workspaces));
    assert.equal(workspaces.length, 1);
    const ws = workspaces[0] as Json;
    assertFieldOrder(ws, V9_WORKSPACE_FIELDS, WS_OPTIONAL, 'v9 workspace');
    assert.equal(ws.id, me.default_workspace_id);
    assert.equal(typeof ws.organization_id, 'number');
    assert.match(ws.name as string, /Rel Ated/);
    assert.equal(ws.admin, true);
    assert.equal(typeof ws.role, 'string');
    assert.equal(typeof ws.premium, 'boolean');
    assert.equal(typeof ws.business_ws, 'boolean');
    assert.equal(typeof ws.default_currency, 'string');
    assert.equal(typeof ws.rounding, 'number');
    assert.equal(typeof ws.rounding_minutes, 'number');
    assert.match(ws.at as string, RFC3339_Z);
  });

  it('GET /me/workspaces returns the array of workspace objects', async () => {
    const u = await newUser('Works Pace');
    for (const opts of [{ cookie: u.cookie }, { auth: [u.token, 'api_token'] as [string, string] }, { auth: [u.email, u.password] as [string, string] }]) {
      const res = await request(server.url, v9('/me/workspaces'), opts);
      assert.equal(res.status, 200, res.text);
      const list = res.json as Json[];
      assert.ok(Array.isArray(list));
      assert.equal(list.length, 1);
      assertFieldOrder(list[0] as Json, V9_WORKSPACE_FIELDS, WS_OPTIONAL, 'v9 workspace');
      assert.match((list[0] as Json).name as string, /Works Pace/);
    }
    const me = obj(await request(server.url, v9('/me?with_related_data=true'), { cookie: u.cookie }));
    const listed = obj(await request(server.url, v9('/me'), { cookie: u.cookie }));
    assert.equal(((me.workspaces as Json[])[0] as Json).id, listed.default_workspace_id);
  });

  it('PUT /me changes each profile field and answers the user object', async () => {
    const u = await newUser('Put Field');
    const ws = (obj(await request(server.url, v9('/me'), { cookie: u.cookie })).default_workspace_id as number);
    const changes: Array<[string, unknown]> = [
      ['fullname', 'Renamed Person'],
      ['timezone', 'Europe/Tallinn'],
      ['beginning_of_week', 0],
      ['beginning_of_week', 6],
      ['country_id', 70],
      ['country_id', null],
      ['default_workspace_id', ws],
    ];
    for (const [field, value] of changes) {
      const res = await request(server.url, v9('/me'), { method: 'PUT', cookie: u.cookie, json: { [field]: value } });
      assert.equal(res.status, 200, `${field}: ${res.text}`);
      const me = obj(res);
      assertFieldOrder(me, V9_USER_FIELDS, USER_OPTIONAL, 'PUT /me answer');
      assert.deepEqual(me[field], value, field);
      assert.deepEqual(obj(await request(server.url, v9('/me'), { auth: [u.token, 'api_token'] }))[field], value, `${field} persisted`);
    }
    // Several at once, by Basic.
    const res = await request(server.url, v9('/me'), { method: 'PUT', auth: [u.email, u.password], json: { fullname: 'Both Fields', timezone: 'America/New_York', beginning_of_week: 3 } });
    assert.equal(res.status, 200, res.text);
    const me = obj(res);
    assert.equal(me.fullname, 'Both Fields');
    assert.equal(me.timezone, 'America/New_York');
    assert.equal(me.beginning_of_week, 3);
  });

  it('PUT /me answers 400 with the §6 message for each invalid value and changes nothing', async () => {
    const u = await newUser('Val Idate');
    const other = await newUser('Other Owner');
    const otherWs = obj(await request(server.url, v9('/me'), { cookie: other.cookie })).default_workspace_id as number;
    const before = obj(await request(server.url, v9('/me'), { cookie: u.cookie }));
    const cases: Array<[Json, string]> = [
      [{ fullname: '' }, 'Invalid fullname'],
      [{ fullname: '   ' }, 'Invalid fullname'],
      [{ email: 'not-an-email' }, 'Invalid email'],
      [{ email: '' }, 'Invalid email'],
      [{ timezone: 'Mars/Olympus_Mons' }, 'Invalid timezone'],
      [{ beginning_of_week: 7 }, 'Invalid beginning_of_week'],
      [{ beginning_of_week: -1 }, 'Invalid beginning_of_week'],
      [{ beginning_of_week: 'monday' }, 'Invalid beginning_of_week'],
      [{ default_workspace_id: otherWs }, 'Invalid default_workspace_id'],
      [{ default_workspace_id: 987654321 }, 'Invalid default_workspace_id'],
      [{ password: 'harbor-violet-93-engine' }, 'Current password must be present to change password'],
      [{ current_password: 'not-my-password-1', password: 'harbor-violet-93-engine' }, 'Current password is not valid'],
      [{ fullname: 'Would Change', timezone: 'Nowhere/Land' }, 'Invalid timezone'],
    ];
    for (const [body, message] of cases) {
      const res = await request(server.url, v9('/me'), { method: 'PUT', cookie: u.cookie, json: body });
      assertJsonString(res, 400, message);
    }
    // country_id: the spec lists no message; the code answers in the same pattern.
    assertJsonString(await request(server.url, v9('/me'), { method: 'PUT', cookie: u.cookie, json: { country_id: -5 } }), 400, 'Invalid country_id');
    const badJson = await request(server.url, v9('/me'), { method: 'PUT', cookie: u.cookie, body: '{"fullname":', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.status, 400);
    assert.equal(typeof badJson.json, 'string');
    assert.match(badJson.json as string, /^Invalid JSON input/);

    const afterwards = obj(await request(server.url, v9('/me'), { cookie: u.cookie }));
    assert.deepEqual(afterwards, before, 'a refused PUT changes nothing');
  });

  it('PUT /me changes the email; a taken email is refused', async () => {
    const u = await newUser('Mail Mover');
    const other = await newUser('Mail Owner');
    const taken = await request(server.url, v9('/me'), { method: 'PUT', cookie: u.cookie, json: { email: other.email } });
    assertJsonString(taken, 400, 'user with this email already exists');
    const takenUpper = await request(server.url, v9('/me'), { method: 'PUT', cookie: u.cookie, json: { email: other.email.toUpperCase() } });
    assertJsonString(takenUpper, 400, 'user with this email already exists');

    const fresh = uniqueEmail('moved');
    const res = await request(server.url, v9('/me'), { method: 'PUT', cookie: u.cookie, json: { email: fresh } });
    assert.equal(res.status, 200, res.text);
    assert.equal(obj(res).email, fresh);
    assert.equal((await request(server.url, v9('/me'), { auth: [u.email, u.password] })).status, 403, 'old email no longer logs in');
    const byNew = await request(server.url, v9('/me'), { auth: [fresh, u.password] });
    assert.equal(byNew.status, 200, byNew.text);
    assert.equal(obj(byNew).email, fresh);
    assert.equal((await request(server.url, v9('/me'), { auth: [other.email, other.password] })).status, 200, 'the other account is untouched');
  });

  it('PUT /me changes the password: needs current_password, kills every other session, the caller and the API token survive', async () => {
    const u = await newUser('Pass Changer');
    const other = cookieOf(await request(server.url, '/api/sessions', { method: 'POST', json: { email: u.email, password: u.password } }), ACCOUNTS_COOKIE);
    const v8 = cookieOf(await request(server.url, '/api/v8/sessions', { method: 'POST', auth: [u.email, u.password] }), API_COOKIE);
    // Prime the Basic credential cache with the old password.
    assert.equal((await request(server.url, v9('/me/logged'), { auth: [u.email, u.password] })).status, 200);
    for (const c of [u.cookie, other, v8]) assert.equal((await request(server.url, v9('/me/logged'), { cookie: c })).status, 200);

    const weak = await request(server.url, v9('/me'), { method: 'PUT', cookie: u.cookie, json: { current_password: u.password, password: 'short' } });
    assertJsonString(weak, 400, 'Password should be at least 8 characters');

    const before = obj(await request(server.url, v9('/me'), { cookie: u.cookie }));
    const newPassword = 'harbor-violet-93-engine';
    const res = await request(server.url, v9('/me'), { method: 'PUT', cookie: u.cookie, json: { current_password: u.password, password: newPassword } });
    assert.equal(res.status, 200, res.text);
    const me = obj(res);
    assertFieldOrder(me, V9_USER_FIELDS, USER_OPTIONAL, 'PUT /me answer');
    assert.equal(me.has_password, true);
    assert.ok(Date.parse(me.authorization_updated_at as string) >= Date.parse(before.authorization_updated_at as string));

    assert.equal((await request(server.url, v9('/me/logged'), { cookie: u.cookie })).status, 200, "the caller's own session survives");
    assert.equal((await request(server.url, v9('/me/logged'), { cookie: other })).status, 403, 'other accounts session revoked');
    assert.equal((await request(server.url, v9('/me/logged'), { cookie: v8 })).status, 403, 'v8 API session revoked');
    assert.equal((await request(server.url, v9('/me/logged'), { auth: [u.email, u.password] })).status, 403, 'old password refused');
    assert.equal((await request(server.url, v9('/me/logged'), { auth: [u.email, newPassword] })).status, 200, 'new password accepted');
    // The API token is an integration credential rotated on its own (security.md): it survives.
    assert.equal(me.api_token, u.token, 'the API token is unchanged');
    assert.equal((await request(server.url, v9('/me/logged'), { auth: [u.token, 'api_token'] })).status, 200, 'the API token still works');
  });

  it('POST /me/reset_token: the old token dies at once, the new one works', async () => {
    const u = await newUser('Token Reset');
    const res = await request(server.url, v9('/me/reset_token'), { method: 'POST', auth: [u.token, 'api_token'] });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const token = res.json as string;
    assert.match(token, HEX32);
    assert.notEqual(token, u.token);
    assertJsonString(await request(server.url, v9('/me'), { auth: [u.token, 'api_token'] }), 403, 'Incorrect username and/or password');
    const me = await request(server.url, v9('/me'), { auth: [token, 'api_token'] });
    assert.equal(me.status, 200);
    assert.equal(obj(me).api_token, token);
    // Resetting by password and by cookie works too, and each makes yet another token.
    const again = await request(server.url, v9('/me/reset_token'), { method: 'POST', cookie: u.cookie });
    assert.equal(again.status, 200);
    assert.notEqual(again.json, token);
    assert.equal((await request(server.url, v9('/me'), { auth: [token, 'api_token'] })).status, 403);
  });

  it('GET /me/logged answers {} for any credential', async () => {
    const u = await newUser();
    for (const opts of [{ cookie: u.cookie }, { auth: [u.token, 'api_token'] as [string, string] }, { auth: [u.email, u.password] as [string, string] }]) {
      const res = await request(server.url, v9('/me/logged'), opts);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, {});
    }
    assertUnauthenticated(await request(server.url, v9('/me/logged')));
    assertJsonString(await request(server.url, v9('/me/logged'), { auth: [u.email, 'wrong-password-123'] }), 403, 'Incorrect username and/or password');
  });

  it('POST /me/sessions with Basic answers the small user and sets a session cookie', async () => {
    const u = await newUser('Sess Ion');
    const res = await request(server.url, v9('/me/sessions'), { method: 'POST', auth: [u.email, u.password] });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = obj(res);
    assert.deepEqual(Object.keys(body).sort(), ['api_token', 'email', 'fullname', 'id', 'timezone']);
    assert.equal(body.api_token, u.token);
    assert.equal(body.email, u.email);
    assert.equal(body.fullname, 'Sess Ion');
    assert.equal(body.id, u.id);
    assert.equal(body.timezone, 'UTC');
    const set = res.cookies[ACCOUNTS_COOKIE];
    assert.ok(set);
    const attrs = set.attributes.map((a) => a.toLowerCase());
    assert.ok(attrs.includes('path=/'));
    assert.ok(attrs.includes('httponly'));
    assert.ok(attrs.includes('samesite=lax'));
    assert.ok(!attrs.some((a) => a.startsWith('max-age=')), 'no Max-Age without remember_me');
    assert.equal(obj(await request(server.url, v9('/me'), { cookie: `${ACCOUNTS_COOKIE}=${set.value}` })).id, u.id);

    const byToken = await request(server.url, v9('/me/sessions'), { method: 'POST', auth: [u.token, 'api_token'] });
    assert.equal(byToken.status, 200);
    assert.ok(byToken.cookies[ACCOUNTS_COOKIE]?.value);

    const remembered = await request(server.url, v9('/me/sessions'), { method: 'POST', auth: [u.email, u.password], json: { remember_me: true } });
    assert.equal(remembered.status, 200, remembered.text);
    const rattrs = remembered.cookies[ACCOUNTS_COOKIE]?.attributes.map((a) => a.toLowerCase()) ?? [];
    assert.ok(rattrs.includes(`max-age=${30 * 86400}`), `remember_me sets Max-Age of 30 days: ${rattrs.join('; ')}`);

    assertJsonString(await request(server.url, v9('/me/sessions'), { method: 'POST', auth: [u.email, 'wrong-password-123'] }), 403, 'Incorrect username and/or password');
  });

  it('DELETE /me/sessions ends the session that authenticated the request, and only that one', async () => {
    const u = await newUser();
    const second = cookieOf(await request(server.url, v9('/me/sessions'), { method: 'POST', auth: [u.email, u.password] }), ACCOUNTS_COOKIE);
    const res = await request(server.url, v9('/me/sessions'), { method: 'DELETE', cookie: u.cookie });
    assert.equal(res.status, 200, res.text);
    const cleared = res.cookies[ACCOUNTS_COOKIE];
    assert.ok(cleared, 'the cookie is cleared');
    assert.equal(cleared.value, '');
    assert.ok(cleared.attributes.map((a) => a.toLowerCase()).includes('max-age=0'));
    assertJsonString(await request(server.url, v9('/me'), { cookie: u.cookie }), 403, 'Incorrect username and/or password');
    assert.equal((await request(server.url, v9('/me'), { cookie: second })).status, 200, 'other sessions live on');
    assert.equal((await request(server.url, v9('/me'), { auth: [u.token, 'api_token'] })).status, 200);

    // The v8 API session cookie is ended the same way.
    const v8 = cookieOf(await request(server.url, '/api/v8/sessions', { method: 'POST', auth: [u.email, u.password] }), API_COOKIE);
    const endV8 = await request(server.url, v9('/me/sessions'), { method: 'DELETE', cookie: v8 });
    assert.equal(endV8.status, 200);
    assert.equal((await request(server.url, v9('/me'), { cookie: v8 })).status, 403);
  });

  it('POST /me/close_account closes the account: every credential dies, the email is free again', async () => {
    const u = await newUser('Close Me');
    const v8 = cookieOf(await request(server.url, '/api/v8/sessions', { method: 'POST', auth: [u.email, u.password] }), API_COOKIE);
    const res = await request(server.url, v9('/me/close_account'), { method: 'POST', auth: [u.email, u.password] });
    assert.equal(res.status, 200, res.text);
    for (const opts of [{ cookie: u.cookie }, { cookie: v8 }, { auth: [u.token, 'api_token'] as [string, string] }, { auth: [u.email, u.password] as [string, string] }]) {
      assertJsonString(await request(server.url, v9('/me'), opts), 403, 'Incorrect username and/or password');
    }
    const again = await request(server.url, '/api/signup', { method: 'POST', json: { email: u.email, password: GOOD_PASSWORD, display_name: 'Second Life' } });
    assert.equal(again.status, 201, again.text);
    assert.notEqual(obj(again).id, u.id, 'the old id is not reused');
  });
});
