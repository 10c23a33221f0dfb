// Every curl example of the two source documents (seeds/000-toggl-track-authentication.txt and
// seeds/002-toggl-v8-authentication.txt), run with the real `curl` binary (execFile, no shell) against a
// local Gatehouse. Only the host is replaced: accounts-service examples go to /api/sessions, /api/signup,
// /api/close_account and /api/password_reset[/{code}]; the "Basic auth" examples of seed 000 to /api/v9/me;
// the v8 examples to /api/v8/... . Each test asserts the outcome the seed documents (and spec/toggl.md
// settles): status, Set-Cookie name and attributes, body shape, and what the credential does afterwards.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { request } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';
import { resetCodeIn, startSmtp, type SmtpProcess } from '../helpers/smtp.js';

const execFileAsync = promisify(execFile);

const ACCOUNTS_COOKIE = '__Secure-accounts-session';
const API_COOKIE = 'toggl_api_session_new';
const HEX32 = /^[0-9a-f]{32}$/;
const JSON_TYPE = /^application\/json/;

type Json = Record<string, unknown>;

interface Cookie {
  value: string;
  /** Attribute name (lower case) → value ('' for flags such as HttpOnly). */
  attributes: Map<string, string>;
}

interface CurlResponse {
  status: number;
  headers: Map<string, string[]>;
  cookies: Map<string, Cookie>;
  body: string;
  json: unknown;
  header(name: string): string | undefined;
}

function parseSetCookie(line: string): [string, Cookie] {
  const [pair = '', ...rest] = line.split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const a of rest) {
    if (a === '') continue;
    const i = a.indexOf('=');
    if (i < 0) attributes.set(a.toLowerCase(), '');
    else attributes.set(a.slice(0, i).toLowerCase(), a.slice(i + 1));
  }
  return [pair.slice(0, eq), { value: pair.slice(eq + 1), attributes }];
}

/** Splits `curl -i` output into the final response's status line, headers and body (1xx heads skipped). */
function parseCurlOutput(out: string): CurlResponse {
  let rest = out;
  let head = '';
  for (;;) {
    assert.ok(rest.startsWith('HTTP/'), `curl output does not start with a status line: ${JSON.stringify(out.slice(0, 200))}`);
    const end = rest.indexOf('\r\n\r\n');
    assert.ok(end >= 0, 'curl output has no end of headers');
    head = rest.slice(0, end);
    rest = rest.slice(end + 4);
    const code = Number(head.split(' ')[1]);
    if (code < 100 || code >= 200) break;
  }
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers = new Map<string, string[]>();
  const cookies = new Map<string, Cookie>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, [...(headers.get(name) ?? []), value]);
    if (name === 'set-cookie') {
      const [cookieName, cookie] = parseSetCookie(value);
      cookies.set(cookieName, cookie);
    }
  }
  let json: unknown = undefined;
  try {
    json = rest === '' ? undefined : JSON.parse(rest);
  } catch {
    json = undefined;
  }
  return { status, headers, cookies, body: rest, json, header: (n) => headers.get(n.toLowerCase())?.[0] };
}

/** Runs the real curl with the seed's arguments, adding only `-s` and (when absent) `-i`. */
async function curl(args: string[]): Promise<CurlResponse> {
  const full = ['-s', ...(args.includes('-i') ? [] : ['-i']), ...args];
  const { stdout } = await execFileAsync('curl', full, { encoding: 'utf8', timeout: 20000, maxBuffer: 1024 * 1024 });
  return parseCurlOutput(stdout);
}

function obj(res: CurlResponse): Json {
  assert.ok(typeof res.json === 'object' && res.json !== null && !Array.isArray(res.json), `expected a JSON object, got ${res.status} ${res.body}`);
  return res.json as Json;
}

function cookieOf(res: CurlResponse, name: string): Cookie {
  const c = res.cookies.get(name);
  assert.ok(c, `expected Set-Cookie ${name}, got ${JSON.stringify(res.headers.get('set-cookie') ?? [])}`);
  assert.ok(c.value.length > 0, `${name} has a value`);
  return c;
}

/** The attributes every Gatehouse session cookie carries (seed + security.md): Path=/; HttpOnly; SameSite=Lax. */
function assertSessionCookieAttributes(c: Cookie): void {
  assert.equal(c.attributes.get('path'), '/', 'Path=/');
  assert.ok(c.attributes.has('httponly'), 'HttpOnly');
  assert.equal(c.attributes.get('samesite'), 'Lax', 'SameSite=Lax');
}

function assert403(res: CurlResponse): void {
  assert.equal(res.status, 403, `expected 403, got ${res.status} ${res.body}`);
}

async function signup(server: TestServer, tag: string, extra: Json = {}): Promise<{ email: string; cookie: string }> {
  const email = uniqueEmail(tag);
  const res = await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD, ...extra } });
  assert.equal(res.status, 201, res.text);
  const value = res.cookies[ACCOUNTS_COOKIE]?.value;
  assert.ok(value);
  return { email, cookie: value };
}

describe('seed 000: Toggl Track authentication, every curl example', () => {
  let smtp: SmtpProcess;
  let server: TestServer;
  let url: (path: string) => string;

  before(async () => {
    smtp = await startSmtp();
    server = await startTestServer({ SMTP_URL: smtp.url, MAIL_FROM: 'Gatehouse <gate@example.com>' });
    url = (path) => server.url + path;
  });
  after(async () => {
    await server.stop();
    await smtp.stop();
  });

  it('curl -u <email>:<password> authenticates (200, the user); a wrong password gets 403', async () => {
    const { email } = await signup(server, 'seed0-basic');
    const res = await curl(['-u', `${email}:${GOOD_PASSWORD}`, url('/api/v9/me')]);
    assert.equal(res.status, 200, res.body);
    assert.match(res.header('content-type') ?? '', JSON_TYPE);
    const user = obj(res);
    assert.equal(user.email, email);
    assert.match(String(user.api_token), HEX32);

    const wrong = await curl(['-u', `${email}:not-the-password-42`, url('/api/v9/me')]);
    assert403(wrong);
    assert.equal(typeof wrong.json, 'string', 'v9 answers a JSON string');
  });

  it('Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ== (Aladdin, no such account) gets 403', async () => {
    const res = await curl(['-H', 'Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==', url('/api/v9/me')]);
    assert403(res);
  });

  it('curl -u <api token>:api_token authenticates as the token owner', async () => {
    const { email } = await signup(server, 'seed0-token');
    const me = obj(await curl(['-u', `${email}:${GOOD_PASSWORD}`, url('/api/v9/me')]));
    const token = String(me.api_token);
    assert.match(token, HEX32);

    const res = await curl(['-u', `${token}:api_token`, url('/api/v9/me')]);
    assert.equal(res.status, 200, res.body);
    const user = obj(res);
    assert.equal(user.id, me.id);
    assert.equal(user.email, email);

    const other = '0'.repeat(32) === token ? '1'.repeat(32) : '0'.repeat(32);
    assert403(await curl(['-u', `${other}:api_token`, url('/api/v9/me')]));
  });

  it("curl -i '' -X POST -d '{email,password}' creates a session: __Secure-accounts-session JWS; Path=/; HttpOnly; SameSite=Lax", async () => {
    const { email } = await signup(server, 'seed0-session');
    const res = await curl(['-i', url('/api/sessions'), '-X', 'POST', '-d', JSON.stringify({ email, password: GOOD_PASSWORD }), '-H', 'Content-Type: application/json']);
    assert.equal(res.status, 200, res.body);
    assert.equal(obj(res).email, email);
    const cookie = cookieOf(res, ACCOUNTS_COOKIE);
    assertSessionCookieAttributes(cookie);
    assert.ok(!cookie.attributes.has('max-age'), 'no Max-Age without remember_me (a browser-session cookie)');

    // The value is a compact JWS like the seed's (EdDSA, with a kid) and verifies against the published keys.
    assert.match(cookie.value, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const header = decodeProtectedHeader(cookie.value);
    assert.equal(header.alg, 'EdDSA');
    assert.equal(typeof header.kid, 'string');
    const jwks = await request(server.url, '/.well-known/jwks.json');
    assert.equal(jwks.status, 200);
    await compactVerify(cookie.value, createLocalJWKSet(jwks.json as JSONWebKeySet));

    // "which you can use for authentication in all the API requests"
    const cookieArg = `${ACCOUNTS_COOKIE}=${cookie.value}`;
    const v9 = await curl(['--cookie', cookieArg, url('/api/v9/me')]);
    assert.equal(v9.status, 200, v9.body);
    assert.equal(obj(v9).email, email);
    const v8 = await curl(['--cookie', cookieArg, url('/api/v8/me')]);
    assert.equal(v8.status, 200, v8.body);
    assert.equal((obj(v8).data as Json).email, email);
    const check = await curl(['--cookie', cookieArg, url('/api/sessions')]);
    assert.equal(check.status, 200);
    assert.deepEqual(check.json, { success: true });

    const wrong = await curl(['-i', url('/api/sessions'), '-X', 'POST', '-d', JSON.stringify({ email, password: 'not-the-password-42' }), '-H', 'Content-Type: application/json']);
    assert403(wrong);
    assert.equal(wrong.cookies.size, 0, 'no cookie for a failed login');
  });

  it('curl --cookie __Secure-accounts-session=<value> -X DELETE destroys the session: the cookie stops working', async () => {
    const { email } = await signup(server, 'seed0-destroy');
    const login = await curl(['-i', url('/api/sessions'), '-X', 'POST', '-d', JSON.stringify({ email, password: GOOD_PASSWORD }), '-H', 'Content-Type: application/json']);
    const cookieArg = `${ACCOUNTS_COOKIE}=${cookieOf(login, ACCOUNTS_COOKIE).value}`;
    assert.equal((await curl(['--cookie', cookieArg, url('/api/v9/me')])).status, 200);

    const res = await curl(['--cookie', cookieArg, '-X', 'DELETE', url('/api/sessions')]);
    assert.equal(res.status, 200, res.body);
    const cleared = res.cookies.get(ACCOUNTS_COOKIE);
    assert.ok(cleared, 'the response clears the cookie');
    assert.equal(cleared.value, '');
    assert.equal(cleared.attributes.get('max-age'), '0', 'Max-Age=0');

    assert403(await curl(['--cookie', cookieArg, url('/api/sessions')]));
    assert403(await curl(['--cookie', cookieArg, url('/api/v9/me')]));
    assert403(await curl(['--cookie', cookieArg, url('/api/v8/me')]));
    assert.equal((await curl(['-u', `${email}:${GOOD_PASSWORD}`, url('/api/v9/me')])).status, 200, 'the password still works');
  });

  it("curl -i '' -X POST -d '{email,password,display_name,tos_accepted_for,remember_me,timezone}' signs up: 201 and a session cookie", async () => {
    const email = uniqueEmail('seed0-signup');
    const body = JSON.stringify({ email, password: GOOD_PASSWORD, display_name: 'Ada Seed', tos_accepted_for: 'track', remember_me: true, timezone: 'America/New_York' });
    const res = await curl(['-i', url('/api/signup'), '-X', 'POST', '-d', body, '-H', 'Content-Type: application/json']);
    assert.equal(res.status, 201, res.body);
    const user = obj(res);
    assert.equal(user.email, email);
    assert.equal(user.fullname, 'Ada Seed');
    assert.equal(user.timezone, 'America/New_York');
    const cookie = cookieOf(res, ACCOUNTS_COOKIE);
    assertSessionCookieAttributes(cookie);
    assert.equal(cookie.attributes.get('max-age'), String(30 * 86400), 'remember_me: a 30-day cookie');

    const cookieArg = `${ACCOUNTS_COOKIE}=${cookie.value}`;
    const me = await curl(['--cookie', cookieArg, url('/api/v9/me?with_related_data=true')]);
    assert.equal(me.status, 200, me.body);
    const meUser = obj(me);
    assert.equal(meUser.email, email);
    assert.equal(meUser.timezone, 'America/New_York');
    const workspaces = meUser.workspaces as Json[];
    assert.equal(workspaces.length, 1, 'a default workspace is created');
    assert.equal(workspaces[0]?.id, meUser.default_workspace_id);
    assert.match(String(workspaces[0]?.name), /Ada Seed/, 'named after the user');
    assert.equal((await curl(['-u', `${email}:${GOOD_PASSWORD}`, url('/api/v9/me')])).status, 200, 'the password works');

    const again = await curl(['-i', url('/api/signup'), '-X', 'POST', '-d', body, '-H', 'Content-Type: application/json']);
    assert.equal(again.status, 400);
    assert.equal(again.json, 'user with this email already exists');
    assert.equal(again.cookies.size, 0);
  });

  it("curl --cookie __Secure-accounts-session=<value> '' -X POST closes the account: every credential stops working", async () => {
    const { email, cookie } = await signup(server, 'seed0-close');
    const cookieArg = `${ACCOUNTS_COOKIE}=${cookie}`;
    // Use every credential once first, so that nothing can survive on a warm cache.
    const me = await curl(['-u', `${email}:${GOOD_PASSWORD}`, url('/api/v9/me')]);
    assert.equal(me.status, 200);
    const token = String(obj(me).api_token);
    assert.equal((await curl(['-u', `${token}:api_token`, url('/api/v9/me')])).status, 200);
    const v8 = await curl(['-u', `${token}:api_token`, '-X', 'POST', url('/api/v8/sessions')]);
    const apiCookieArg = `${API_COOKIE}=${cookieOf(v8, API_COOKIE).value}`;
    assert.equal((await curl(['--cookie', apiCookieArg, url('/api/v8/me')])).status, 200);
    assert.equal((await curl(['--cookie', cookieArg, url('/api/sessions')])).status, 200);

    const res = await curl(['--cookie', cookieArg, url('/api/close_account'), '-X', 'POST']);
    assert.equal(res.status, 200, res.body);

    assert403(await curl(['--cookie', cookieArg, url('/api/sessions')]));
    assert403(await curl(['--cookie', cookieArg, url('/api/v9/me')]));
    assert403(await curl(['-u', `${email}:${GOOD_PASSWORD}`, url('/api/v9/me')]));
    assert403(await curl(['-u', `${token}:api_token`, url('/api/v9/me')]));
    assert403(await curl(['--cookie', apiCookieArg, url('/api/v8/me')]));
    const login = await curl(['-i', url('/api/sessions'), '-X', 'POST', '-d', JSON.stringify({ email, password: GOOD_PASSWORD }), '-H', 'Content-Type: application/json']);
    assert403(login);

    // The email is free again (security.md: closure keeps only a tombstone).
    const reuse = await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    assert.equal(reuse.status, 201, reuse.text);
  });

  it('password reset: curl -d \'{"email"}\' mails a code; curl -X POST .../<code> -d \'{"password"}\' -i sets it and returns a fresh cookie', async () => {
    const { email, cookie: oldCookie } = await signup(server, 'seed0-reset');
    assert.equal((await curl(['-u', `${email}:${GOOD_PASSWORD}`, url('/api/v9/me')])).status, 200);

    // The seed's request example (no path in the seed; -d makes curl POST).
    const asked = await curl(['-d', JSON.stringify({ email }), '-H', 'Content-Type: application/json', url('/api/password_reset')]);
    assert.equal(asked.status, 200, asked.body);
    const unknown = await curl(['-d', JSON.stringify({ email: uniqueEmail('seed0-nobody') }), '-H', 'Content-Type: application/json', url('/api/password_reset')]);
    assert.equal(unknown.status, asked.status);
    assert.equal(unknown.body, asked.body, 'same answer for an unknown address');
    const code = resetCodeIn(await smtp.waitFor(email));

    const newPassword = 'harbor-violet-93-engine';
    const res = await curl(['-X', 'POST', '-H', 'Content-Type: application/json', url(`/api/password_reset/${code}`), '-d', JSON.stringify({ password: newPassword }), '-i']);
    assert.equal(res.status, 200, res.body);
    const fresh = cookieOf(res, ACCOUNTS_COOKIE);
    assertSessionCookieAttributes(fresh);
    assert.notEqual(fresh.value, oldCookie);

    const freshArg = `${ACCOUNTS_COOKIE}=${fresh.value}`;
    assert.equal((await curl(['--cookie', freshArg, url('/api/sessions')])).status, 200, 'the fresh cookie is a live session');
    const me = await curl(['--cookie', freshArg, url('/api/v9/me')]);
    assert.equal(me.status, 200);
    assert.equal(obj(me).email, email);
    assert.equal((await curl(['-u', `${email}:${newPassword}`, url('/api/v9/me')])).status, 200, 'the new password works');
    assert403(await curl(['-u', `${email}:${GOOD_PASSWORD}`, url('/api/v9/me')]));
    assert403(await curl(['--cookie', `${ACCOUNTS_COOKIE}=${oldCookie}`, url('/api/sessions')]));

    const reused = await curl(['-X', 'POST', '-H', 'Content-Type: application/json', url(`/api/password_reset/${code}`), '-d', JSON.stringify({ password: 'another-valid-pass-77' }), '-i']);
    assert.equal(reused.status, 400, 'the code is single use');
    assert.equal(reused.cookies.size, 0);
  });
});

describe('seed 000 over https: the session cookie carries exactly the seed attributes', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ PUBLIC_URL: 'https://gatehouse.example' });
  });
  after(async () => {
    await server.stop();
  });

  it('Set-Cookie: __Secure-accounts-session=...; Path=/; HttpOnly; Secure; SameSite=Lax', async () => {
    const { email } = await signup(server, 'seed0-https');
    const res = await curl(['-i', `${server.url}/api/sessions`, '-X', 'POST', '-d', JSON.stringify({ email, password: GOOD_PASSWORD }), '-H', 'Content-Type: application/json']);
    assert.equal(res.status, 200, res.body);
    const cookie = cookieOf(res, ACCOUNTS_COOKIE);
    assert.deepEqual(
      [...cookie.attributes.entries()].sort(),
      [
        ['httponly', ''],
        ['path', '/'],
        ['samesite', 'Lax'],
        ['secure', ''],
      ],
    );
  });
});

// Seed 002's example responses. The first shows the user with related data (projects, tags, tasks,
// workspaces, clients: spec/toggl.md §3 gives those with ?with_related_data=true); the third is the
// POST /sessions body. These are the user fields the seed shows, with the JSON type of the seed's value.
const SEED_V8_ME_FIELDS: Record<string, string> = {
  id: 'number',
  api_token: 'string',
  default_wid: 'number',
  email: 'string',
  fullname: 'string',
  jquery_timeofday_format: 'string',
  jquery_date_format: 'string',
  timeofday_format: 'string',
  date_format: 'string',
  store_start_and_stop_time: 'boolean',
  beginning_of_week: 'number',
  language: 'string',
  image_url: 'string',
  at: 'string',
  created_at: 'string',
  timezone: 'string',
  retention: 'number',
  new_blog_post: 'object',
};
const SEED_V8_SESSION_FIELDS: Record<string, string> = {
  ...SEED_V8_ME_FIELDS,
  sidebar_piechart: 'boolean',
  record_timeline: 'boolean',
  render_timeline: 'boolean',
  timeline_enabled: 'boolean',
  timeline_experiment: 'boolean',
  invitation: 'object',
};
const SEED_V8_RELATED = ['projects', 'tags', 'tasks', 'workspaces', 'clients'];
const SEED_V8_WORKSPACE_FIELDS: Record<string, string> = {
  id: 'number',
  name: 'string',
  at: 'string',
  default_hourly_rate: 'number',
  default_currency: 'string',
  projects_billable_by_default: 'boolean',
  rounding: 'number',
  rounding_minutes: 'number',
};

function assertFields(o: Json, fields: Record<string, string>, what: string): void {
  for (const [k, type] of Object.entries(fields)) {
    assert.ok(k in o, `${what}.${k} present (seed 002)`);
    const v = o[k];
    assert.equal(v === null ? 'null' : typeof v, type, `${what}.${k} is a ${type}`);
  }
  for (const k of ['at', 'created_at']) if (k in fields) assert.ok(!Number.isNaN(Date.parse(String(o[k]))), `${what}.${k} is a date`);
}

/** `{"since": <unix seconds>, "data": {...user}}` with the seed's field names. */
function assertV8MeBody(res: CurlResponse, email: string, fields: Record<string, string>): Json {
  assert.equal(res.status, 200, res.body);
  assert.match(res.header('content-type') ?? '', JSON_TYPE);
  const body = obj(res);
  assert.deepEqual(Object.keys(body).sort(), ['data', 'since']);
  assert.ok(Number.isInteger(body.since) && (body.since as number) >= 0, 'since is whole unix seconds');
  assert.ok((body.since as number) <= Math.ceil(Date.now() / 1000) + 5, 'since is not in the future');
  const user = body.data as Json;
  assertFields(user, fields, 'data');
  assert.equal(user.email, email);
  assert.match(String(user.api_token), HEX32);
  return user;
}

function assertApiCookie(res: CurlResponse): Cookie {
  const c = cookieOf(res, API_COOKIE);
  assertSessionCookieAttributes(c);
  assert.equal(c.attributes.get('max-age'), '86400', 'Max-Age=86400 (24 hours)');
  const expires = Date.parse(c.attributes.get('expires') ?? '');
  assert.ok(!Number.isNaN(expires), 'Expires is a date');
  assert.ok(Math.abs(expires - (Date.now() + 86400 * 1000)) < 120 * 1000, 'Expires is 24 hours from now');
  return c;
}

describe('seed 002: Toggl API v8 authentication, every curl example', () => {
  let server: TestServer;
  let url: (path: string) => string;
  before(async () => {
    server = await startTestServer();
    url = (path) => server.url + path;
  });
  after(async () => {
    await server.stop();
  });

  it('curl -v -u <email>:<password> -X GET /api/v8/me answers {since, data} with the seed fields and sets the API session cookie', async () => {
    const { email } = await signup(server, 'seed2-basic');
    const res = await curl(['-v', '-u', `${email}:${GOOD_PASSWORD}`, '-X', 'GET', url('/api/v8/me')]);
    const user = assertV8MeBody(res, email, SEED_V8_ME_FIELDS);
    assert.ok(Math.abs((obj(res).since as number) - Date.now() / 1000) < 300, 'since is the current time');
    for (const k of SEED_V8_RELATED) assert.ok(!(k in user), `${k} only with related data`);
    assertApiCookie(res);

    // The seed's first response carries the related data: that is ?with_related_data=true.
    const related = await curl(['-v', '-u', `${email}:${GOOD_PASSWORD}`, '-X', 'GET', url('/api/v8/me?with_related_data=true')]);
    const full = assertV8MeBody(related, email, SEED_V8_ME_FIELDS);
    for (const k of SEED_V8_RELATED) assert.ok(Array.isArray(full[k]), `${k} is an array`);
    const workspaces = full.workspaces as Json[];
    assert.equal(workspaces.length, 1);
    const ws = workspaces[0] as Json;
    assertFields(ws, SEED_V8_WORKSPACE_FIELDS, 'workspaces[0]');
    assert.equal(ws.id, full.default_wid, 'default_wid names the workspace');
    assert.equal(user.default_wid, full.default_wid);

    const wrong = await curl(['-v', '-u', `${email}:not-the-password-42`, '-X', 'GET', url('/api/v8/me')]);
    assert403(wrong);
    assert.equal(wrong.body, '', 'v8 answers 403 with an empty body');
    assert.equal(wrong.cookies.size, 0);
  });

  it('curl -v -u <api token>:api_token -X GET /api/v8/me answers the same user', async () => {
    const { email } = await signup(server, 'seed2-token');
    const byPassword = assertV8MeBody(await curl(['-v', '-u', `${email}:${GOOD_PASSWORD}`, '-X', 'GET', url('/api/v8/me')]), email, SEED_V8_ME_FIELDS);
    const token = String(byPassword.api_token);
    const res = await curl(['-v', '-u', `${token}:api_token`, '-X', 'GET', url('/api/v8/me')]);
    const user = assertV8MeBody(res, email, SEED_V8_ME_FIELDS);
    assert.equal(user.id, byPassword.id);
    assert.equal(user.api_token, token);

    const other = token === '0'.repeat(32) ? '1'.repeat(32) : '0'.repeat(32);
    const wrong = await curl(['-v', '-u', `${other}:api_token`, '-X', 'GET', url('/api/v8/me')]);
    assert403(wrong);
    assert.equal(wrong.body, '');
  });

  it('curl -v -u <api token>:api_token -X POST /api/v8/sessions sets toggl_api_session_new (Path=/; Max-Age=86400; HttpOnly) and returns the user', async () => {
    const { email } = await signup(server, 'seed2-session');
    const token = String(obj(await curl(['-u', `${email}:${GOOD_PASSWORD}`, url('/api/v9/me')])).api_token);
    const res = await curl(['-v', '-u', `${token}:api_token`, '-X', 'POST', url('/api/v8/sessions')]);
    const user = assertV8MeBody(res, email, SEED_V8_SESSION_FIELDS);
    assert.equal(user.api_token, token);
    const cookie = assertApiCookie(res);

    // "which you can use for authentication in all the API requests"
    const cookieArg = `${API_COOKIE}=${cookie.value}`;
    const me = await curl(['-v', '--cookie', cookieArg, '-X', 'GET', url('/api/v8/me')]);
    assert.equal(assertV8MeBody(me, email, SEED_V8_ME_FIELDS).id, user.id);
    assert.equal(obj(await curl(['--cookie', cookieArg, url('/api/v9/me')])).email, email);

    const wrong = await curl(['-v', '-u', `${email}:not-the-password-42`, '-X', 'POST', url('/api/v8/sessions')]);
    assert403(wrong);
    assert.equal(wrong.body, '');
    assert.equal(wrong.cookies.size, 0);
  });

  it('curl -v --cookie toggl_api_session_new=<value> -X DELETE /api/v8/sessions answers 200 and the cookie stops working', async () => {
    const { email } = await signup(server, 'seed2-destroy');
    const login = await curl(['-v', '-u', `${email}:${GOOD_PASSWORD}`, '-X', 'POST', url('/api/v8/sessions')]);
    const cookieArg = `${API_COOKIE}=${assertApiCookie(login).value}`;
    assert.equal((await curl(['--cookie', cookieArg, url('/api/v8/me')])).status, 200);

    const res = await curl(['-v', '--cookie', cookieArg, '-X', 'DELETE', url('/api/v8/sessions')]);
    assert.equal(res.status, 200, res.body);

    const after = await curl(['-v', '--cookie', cookieArg, '-X', 'GET', url('/api/v8/me')]);
    assert403(after);
    assert.equal(after.body, '');
    assert403(await curl(['--cookie', cookieArg, url('/api/v9/me')]));
    assert.equal((await curl(['-u', `${email}:${GOOD_PASSWORD}`, url('/api/v8/me')])).status, 200, 'the password still works');
  });
});
