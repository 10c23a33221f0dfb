// Toggl API v8 (/api/v8), spec/toggl.md §3, §5 and §6: wrapped bodies, the v8 user object (order, nulls left
// out), the toggl_api_session_new cookie, sign-up, token reset, JSON-array errors and empty 403s.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request, type RequestOptions, type Response } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';

const API_COOKIE = 'toggl_api_session_new';
const ACCOUNTS_COOKIE = '__Secure-accounts-session';
const HEX32 = /^[0-9a-f]{32}$/;

const V8_USER_FIELDS = [
  'id',
  'api_token',
  'default_wid',
  'email',
  'fullname',
  'jquery_timeofday_format',
  'jquery_date_format',
  'timeofday_format',
  'date_format',
  'store_start_and_stop_time',
  'beginning_of_week',
  'language',
  'image_url',
  'sidebar_piechart',
  'at',
  'created_at',
  'retention',
  'record_timeline',
  'render_timeline',
  'timeline_enabled',
  'timeline_experiment',
  'new_blog_post',
  'invitation',
  'timezone',
];
const V8_RELATED = ['workspaces', 'projects', 'tags', 'tasks', 'clients', 'time_entries'];

type Json = Record<string, unknown>;

function obj(res: Response): Json {
  assert.ok(typeof res.json === 'object' && res.json !== null && !Array.isArray(res.json), `expected a JSON object, got ${res.status} ${res.text}`);
  return res.json as Json;
}

/** A v8 success body: `{data: ...}` (plus `since` for /me) and the user inside. */
function data(res: Response): Json {
  const body = obj(res);
  assert.ok('data' in body, 'wrapped in data');
  return body.data as Json;
}

/** The user's keys are the v8 list in order, with only null-valued fields left out; no value is null. */
function assertV8User(user: Json, related = false): void {
  const keys = Object.keys(user);
  const base = keys.filter((k) => !V8_RELATED.includes(k));
  assert.deepEqual(base, V8_USER_FIELDS.filter((k) => base.includes(k)), 'v8 field order');
  for (const k of ['id', 'api_token', 'email', 'fullname', 'timezone', 'beginning_of_week', 'at', 'created_at']) assert.ok(keys.includes(k), `${k} present`);
  for (const [k, v] of Object.entries(user)) assert.notEqual(v, null, `${k} is null but null fields are left out`);
  const missing = V8_USER_FIELDS.filter((k) => !keys.includes(k));
  assert.deepEqual(missing, [], 'this user has no null field, so every field is present');
  if (related) assert.deepEqual(keys.filter((k) => V8_RELATED.includes(k)).sort(), [...V8_RELATED].sort());
  else for (const k of V8_RELATED) assert.ok(!keys.includes(k), `${k} only with related data`);
  assert.match(user.api_token as string, HEX32);
  assert.ok(!Number.isNaN(Date.parse(user.at as string)));
  assert.ok(!Number.isNaN(Date.parse(user.created_at as string)));
}

function assertEmpty403(res: Response): void {
  assert.equal(res.status, 403);
  assert.equal(res.text, '', 'v8 answers a failed authentication with an empty body');
}

function assertArray400(res: Response, messages: string[]): void {
  assert.equal(res.status, 400, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(res.json, messages);
}

function cookieOf(res: Response, name: string): string {
  const c = res.cookies[name];
  assert.ok(c && c.value.length > 0, `response sets ${name}`);
  return `${name}=${c.value}`;
}

interface User {
  email: string;
  id: number;
  token: string;
}

describe('Toggl API v8 (/api/v8)', () => {
  let server: TestServer;
  const v8 = (path: string) => `/api/v8${path}`;

  async function signup(fullname?: string): Promise<User> {
    const email = uniqueEmail('v8');
    const res = await request(server.url, v8('/signups'), { method: 'POST', json: { user: { email, password: GOOD_PASSWORD, timezone: 'UTC', created_with: 'gatehouse-tests', ...(fullname ? { fullname } : {}) } } });
    assert.equal(res.status, 200, res.text);
    const u = data(res);
    return { email, id: u.id as number, token: u.api_token as string };
  }

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  it('GET /me answers {since, data} with the v8 user, and a Basic call sets toggl_api_session_new', async () => {
    const u = await signup();
    const t0 = Math.floor(Date.now() / 1000);
    const res = await request(server.url, v8('/me'), { auth: [u.email, GOOD_PASSWORD] });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = obj(res);
    assert.deepEqual(Object.keys(body), ['since', 'data']);
    assert.ok(Number.isInteger(body.since));
    assert.ok(Math.abs((body.since as number) - t0) <= 5, 'since is the current unix time in seconds');
    const user = body.data as Json;
    assertV8User(user);
    assert.equal(user.id, u.id);
    assert.equal(user.email, u.email);
    assert.equal(user.api_token, u.token);
    assert.equal(typeof user.default_wid, 'number');
    assert.equal(user.timezone, 'UTC');

    // Old clients log in once with Basic and then send only the cookie.
    const set = res.cookies[API_COOKIE];
    assert.ok(set && set.value.length > 0, 'Basic-authenticated GET /me sets the API session cookie');
    const cookie = `${API_COOKIE}=${set.value}`;
    const again = await request(server.url, v8('/me'), { cookie });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(data(again), user);
    assert.equal(again.cookies[API_COOKIE], undefined, 'a cookie-authenticated call sets no new cookie');
    assert.equal((await request(server.url, '/api/v9/me/logged', { cookie })).status, 200, 'the v8 cookie works on v9 too');

    // A token-authenticated Basic call sets one as well.
    const byToken = await request(server.url, v8('/me'), { auth: [u.token, 'api_token'] });
    assert.equal(byToken.status, 200);
    assert.deepEqual(data(byToken), user);
    assert.ok(byToken.cookies[API_COOKIE]?.value, 'token Basic call sets the cookie too');
  });

  it('GET /me?with_related_data=true adds the related arrays; since limits them', async () => {
    const u = await signup('Related Viii');
    const res = await request(server.url, v8('/me?with_related_data=true'), { auth: [u.token, 'api_token'] });
    assert.equal(res.status, 200, res.text);
    const user = data(res);
    assertV8User(user, true);
    for (const k of ['projects', 'tags', 'tasks', 'clients', 'time_entries']) assert.deepEqual(user[k], [], k);
    const workspaces = user.workspaces as Json[];
    assert.equal(workspaces.length, 1);
    const ws = workspaces[0] as Json;
    assert.equal(ws.id, user.default_wid);
    assert.match(ws.name as string, /Related Viii/);
    assert.ok(!Number.isNaN(Date.parse(ws.at as string)));
    for (const v of Object.values(ws)) assert.notEqual(v, null);

    const now = Math.floor(Date.now() / 1000);
    const past = data(await request(server.url, v8(`/me?with_related_data=true&since=${now - 3600}`), { auth: [u.token, 'api_token'] }));
    assert.equal((past.workspaces as Json[]).length, 1, 'changed after an hour ago');
    const future = data(await request(server.url, v8(`/me?with_related_data=true&since=${now + 3600}`), { auth: [u.token, 'api_token'] }));
    assert.deepEqual(future.workspaces, [], 'nothing changed after a future time');
    const plain = data(await request(server.url, v8(`/me?since=${now - 3600}`), { auth: [u.token, 'api_token'] }));
    assertV8User(plain);
  });

  it('PUT /me takes {"user": {...}} and answers {data: user}; invalid input is a 400 JSON array', async () => {
    const u = await signup();
    const res = await request(server.url, v8('/me'), { method: 'PUT', auth: [u.token, 'api_token'], json: { user: { fullname: 'Old Client', timezone: 'Europe/Berlin', beginning_of_week: 0 } } });
    assert.equal(res.status, 200, res.text);
    const body = obj(res);
    assert.deepEqual(Object.keys(body), ['data']);
    const user = body.data as Json;
    assertV8User(user);
    assert.equal(user.fullname, 'Old Client');
    assert.equal(user.timezone, 'Europe/Berlin');
    assert.equal(user.beginning_of_week, 0);
    const me = data(await request(server.url, v8('/me'), { auth: [u.token, 'api_token'] }));
    assert.equal(me.fullname, 'Old Client');
    assert.equal(me.timezone, 'Europe/Berlin');

    const put = (json: unknown): RequestOptions => ({ method: 'PUT', auth: [u.token, 'api_token'], json });
    assertArray400(await request(server.url, v8('/me'), put({ user: { timezone: 'Mars/Olympus_Mons' } })), ['Invalid timezone']);
    assertArray400(await request(server.url, v8('/me'), put({ user: { email: 'nope' } })), ['Invalid email']);
    assertArray400(await request(server.url, v8('/me'), put({ user: { beginning_of_week: 9 } })), ['Invalid beginning_of_week']);
    assertArray400(await request(server.url, v8('/me'), put({ user: { fullname: '' } })), ['Invalid fullname']);
    assertArray400(await request(server.url, v8('/me'), put({ user: { default_workspace_id: 987654321 } })), ['Invalid default_workspace_id']);
    assertArray400(await request(server.url, v8('/me'), put({ user: { password: 'harbor-violet-93-engine' } })), ['Current password must be present to change password']);
    assertArray400(await request(server.url, v8('/me'), put({ user: { current_password: 'not-it-at-all', password: 'harbor-violet-93-engine' } })), ['Current password is not valid']);
    // Every invalid field is reported, in one array.
    const two = await request(server.url, v8('/me'), put({ user: { timezone: 'Nowhere/Land', beginning_of_week: 9 } }));
    assert.equal(two.status, 400);
    assert.deepEqual([...(two.json as string[])].sort(), ['Invalid beginning_of_week', 'Invalid timezone']);
    // Not wrapped in "user", or not JSON: still a 400 array of messages.
    const flat = await request(server.url, v8('/me'), put({ fullname: 'Flat Body' }));
    assert.equal(flat.status, 400);
    assert.ok(Array.isArray(flat.json) && (flat.json as unknown[]).length > 0 && (flat.json as unknown[]).every((m) => typeof m === 'string'));
    const bad = await request(server.url, v8('/me'), { method: 'PUT', auth: [u.token, 'api_token'], body: '{"user":', headers: { 'content-type': 'application/json' } });
    assertArray400(bad, ['Invalid JSON input']);
    assert.equal(data(await request(server.url, v8('/me'), { auth: [u.token, 'api_token'] })).fullname, 'Old Client', 'refused PUTs change nothing');

    // Password change with the current password.
    const newPassword = 'harbor-violet-93-engine';
    const pw = await request(server.url, v8('/me'), put({ user: { current_password: GOOD_PASSWORD, password: newPassword } }));
    assert.equal(pw.status, 200, pw.text);
    assertEmpty403(await request(server.url, v8('/me'), { auth: [u.email, GOOD_PASSWORD] }));
    assert.equal((await request(server.url, v8('/me'), { auth: [u.email, newPassword] })).status, 200);
  });

  it('POST /sessions sets toggl_api_session_new (Path=/, Max-Age=86400, HttpOnly); DELETE /sessions ends it', async () => {
    const u = await signup();
    const res = await request(server.url, v8('/sessions'), { method: 'POST', auth: [u.email, GOOD_PASSWORD] });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = obj(res);
    assert.deepEqual(Object.keys(body), ['since', 'data'], 'body as GET /me');
    assertV8User(body.data as Json);
    assert.equal((body.data as Json).id, u.id);
    const set = res.cookies[API_COOKIE];
    assert.ok(set && set.value.length > 0);
    const attrs = set.attributes.map((a) => a.toLowerCase());
    assert.ok(attrs.includes('path=/'), attrs.join('; '));
    assert.ok(attrs.includes('max-age=86400'), attrs.join('; '));
    assert.ok(attrs.includes('httponly'), attrs.join('; '));
    assert.ok(!attrs.includes('secure'), 'no Secure over plain http');
    const cookie = `${API_COOKIE}=${set.value}`;
    assert.equal(data(await request(server.url, v8('/me'), { cookie })).id, u.id);

    const byToken = await request(server.url, v8('/sessions'), { method: 'POST', auth: [u.token, 'api_token'] });
    assert.equal(byToken.status, 200);
    const other = cookieOf(byToken, API_COOKIE);
    assert.notEqual(other, cookie, 'a new token on every login');

    assertEmpty403(await request(server.url, v8('/sessions'), { method: 'POST', auth: [u.email, 'wrong-password-123'] }));
    assertEmpty403(await request(server.url, v8('/sessions'), { method: 'POST' }));

    const del = await request(server.url, v8('/sessions'), { method: 'DELETE', cookie });
    assert.equal(del.status, 200, del.text);
    assert.equal(del.cookies[API_COOKIE]?.value, '', 'the cookie is cleared');
    assertEmpty403(await request(server.url, v8('/me'), { cookie }));
    assert.equal((await request(server.url, '/api/v9/me/logged', { cookie })).status, 403, 'refused on every generation');
    assert.equal((await request(server.url, v8('/me'), { cookie: other })).status, 200, 'only that session ended');
    assertEmpty403(await request(server.url, v8('/sessions'), { method: 'DELETE', cookie }));
  });

  it('POST /signups creates an account with an API token; taken email, short password and bad email are 400 arrays', async () => {
    const email = uniqueEmail('v8signup');
    const res = await request(server.url, v8('/signups'), { method: 'POST', json: { user: { email, password: GOOD_PASSWORD, timezone: 'Europe/Tallinn', created_with: 'gatehouse-tests' } } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = obj(res);
    assert.deepEqual(Object.keys(body), ['data']);
    const user = body.data as Json;
    assertV8User(user);
    assert.equal(user.email, email);
    assert.equal(user.timezone, 'Europe/Tallinn');
    assert.equal(typeof user.default_wid, 'number');
    const me = await request(server.url, v8('/me'), { auth: [user.api_token as string, 'api_token'] });
    assert.equal(me.status, 200);
    assert.equal(data(me).id, user.id);
    assert.equal((await request(server.url, v8('/me'), { auth: [email, GOOD_PASSWORD] })).status, 200);

    const signup = (u: Json) => request(server.url, v8('/signups'), { method: 'POST', json: { user: { created_with: 'gatehouse-tests', ...u } } });
    assertArray400(await signup({ email, password: GOOD_PASSWORD }), ['user with this email already exists']);
    assertArray400(await signup({ email: email.toUpperCase(), password: GOOD_PASSWORD }), ['user with this email already exists']);
    assertArray400(await signup({ email: uniqueEmail('short'), password: 'abc12' }), ['Password should be at least 8 characters']);
    assertArray400(await signup({ email: 'not-an-email', password: GOOD_PASSWORD }), ['Invalid email']);
    const both = await signup({ email: 'still not an email', password: 'abc' });
    assert.equal(both.status, 400);
    assert.deepEqual([...(both.json as string[])].sort(), ['Invalid email', 'Password should be at least 8 characters']);
    const missing = await request(server.url, v8('/signups'), { method: 'POST', json: { email: uniqueEmail('flat'), password: GOOD_PASSWORD } });
    assert.equal(missing.status, 400);
    assert.ok(Array.isArray(missing.json));
  });

  it('POST /reset_token answers the new token as a JSON string; the old one dies at once', async () => {
    const u = await signup();
    const res = await request(server.url, v8('/reset_token'), { method: 'POST', auth: [u.token, 'api_token'] });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const token = res.json as string;
    assert.match(token, HEX32);
    assert.notEqual(token, u.token);
    assertEmpty403(await request(server.url, v8('/me'), { auth: [u.token, 'api_token'] }));
    assert.equal(data(await request(server.url, v8('/me'), { auth: [token, 'api_token'] })).api_token, token);
    const byPassword = await request(server.url, v8('/reset_token'), { method: 'POST', auth: [u.email, GOOD_PASSWORD] });
    assert.equal(byPassword.status, 200);
    assert.match(byPassword.json as string, HEX32);
    assertEmpty403(await request(server.url, v8('/reset_token'), { method: 'POST' }));
  });

  it('answers every failed authentication with 403 and an empty body', async () => {
    const u = await signup();
    assertEmpty403(await request(server.url, v8('/me'), { auth: [u.email, 'wrong-password-123'] }));
    assertEmpty403(await request(server.url, v8('/me'), { auth: [uniqueEmail('nobody'), 'wrong-password-123'] }));
    assertEmpty403(await request(server.url, v8('/me'), { auth: ['f'.repeat(32), 'api_token'] }));
    assertEmpty403(await request(server.url, v8('/me'), { cookie: `${API_COOKIE}=not-a-session` }));
    assertEmpty403(await request(server.url, v8('/me'), { cookie: `${ACCOUNTS_COOKIE}=not.a.jws` }));
    assertEmpty403(await request(server.url, v8('/me'), { headers: { authorization: 'Basic %%%' } }));
    // The spec gives v8 no 401: a request without credentials is a failed authentication too.
    assertEmpty403(await request(server.url, v8('/me')));
    // Authentication comes before body validation: wrong credentials with a bad body are still a 403.
    assertEmpty403(await request(server.url, v8('/me'), { method: 'PUT', auth: [u.email, 'wrong-password-123'], json: { user: { beginning_of_week: 'x' } } }));
    assertEmpty403(await request(server.url, v8('/me'), { method: 'PUT', json: { nope: true } }));
  });
});
