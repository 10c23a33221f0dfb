// The Toggl accounts service (/api), spec/toggl.md §4 and security.md: sessions, sign-up, account closure,
// the signed session cookie (JWS checked against the published JWKS), cookie attributes, cross-site refusal,
// no-store caching, and the login throttle (X-Remaining-Login-Attempts, 429 + Retry-After).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import { sha256 } from '../../src/core/crypto.js';
import { request, type RequestOptions, type Response } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';

const ACCOUNTS_COOKIE = '__Secure-accounts-session';
const API_COOKIE = 'toggl_api_session_new';
const DAY = 86400;
const BAD_CREDENTIALS = 'Incorrect username and/or password';

type Json = Record<string, unknown>;

function obj(res: Response): Json {
  assert.ok(typeof res.json === 'object' && res.json !== null && !Array.isArray(res.json), `expected a JSON object, got ${res.status} ${res.text}`);
  return res.json as Json;
}

function attrs(res: Response, name: string): string[] {
  const c = res.cookies[name];
  assert.ok(c, `response sets ${name}`);
  return c.attributes.map((a) => a.toLowerCase());
}

function cookieValue(res: Response, name = ACCOUNTS_COOKIE): string {
  const c = res.cookies[name];
  assert.ok(c && c.value.length > 0, `response sets ${name}`);
  return c.value;
}

const accountsCookie = (value: string) => `${ACCOUNTS_COOKIE}=${value}`;

function assertJsonString(res: Response, status: number, message: string): void {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.json, message);
}

function assertNoStore(res: Response, what: string): void {
  assert.equal(res.headers.get('cache-control'), 'no-store', `${what}: Cache-Control no-store`);
}

interface User {
  email: string;
  password: string;
  id: number;
  cookie: string;
  token: string;
  publicId: string;
}

async function signupAt(server: TestServer, displayName = 'Acc Ount', password = GOOD_PASSWORD, email = uniqueEmail('acc')): Promise<User> {
  const res = await request(server.url, '/api/signup', { method: 'POST', json: { email, password, display_name: displayName, tos_accepted_for: 'gatehouse', timezone: 'UTC' } });
  assert.equal(res.status, 201, res.text);
  const cookie = accountsCookie(cookieValue(res));
  const me = obj(await request(server.url, '/api/v9/me', { cookie }));
  return { email, password, id: me.id as number, cookie, token: me.api_token as string, publicId: me.toggl_accounts_id as string };
}

describe('Toggl accounts service (/api)', () => {
  let server: TestServer;
  const signup = (name?: string, password?: string, email?: string) => signupAt(server, name, password, email);
  const status = async (path: string, options: RequestOptions) => (await request(server.url, path, options)).status;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  it('POST /api/sessions with JSON signs in and sets the session cookie (Path=/, HttpOnly, SameSite=Lax, Secure on loopback http)', async () => {
    const u = await signup('Json Login');
    const res = await request(server.url, '/api/sessions', { method: 'POST', json: { email: u.email, password: u.password } });
    assert.equal(res.status, 200, res.text);
    assertNoStore(res, 'POST /api/sessions');
    const body = obj(res);
    assert.equal(body.id, u.id);
    assert.equal(body.email, u.email);
    assert.equal(body.fullname, 'Json Login');
    assert.ok(!('api_token' in body) || typeof body.api_token === 'string');
    const a = attrs(res, ACCOUNTS_COOKIE);
    assert.ok(a.includes('path=/'), a.join('; '));
    assert.ok(a.includes('httponly'), a.join('; '));
    assert.ok(a.includes('samesite=lax'), a.join('; '));
    // README: http://127.0.0.1 is a secure context (browsers, curl): the __Secure- cookie carries Secure there.
    assert.ok(a.includes('secure'), 'Secure when the public URL is loopback http');
    assert.ok(!a.some((x) => x.startsWith('max-age=') || x.startsWith('expires=')), 'a browser-session cookie without remember_me');
    const cookie = accountsCookie(cookieValue(res));
    assert.notEqual(cookie, u.cookie, 'a new token on every login');
    const check = await request(server.url, '/api/sessions', { cookie });
    assert.equal(check.status, 200);
    assert.deepEqual(check.json, { success: true });

    // Email matched case-insensitively after trimming.
    assert.equal(await status('/api/sessions', { method: 'POST', json: { email: ` ${u.email.toUpperCase()} `, password: u.password } }), 200);
    assertJsonString(await request(server.url, '/api/sessions', { method: 'POST', json: { email: u.email, password: 'wrong-password-123' } }), 403, BAD_CREDENTIALS);
    assertJsonString(await request(server.url, '/api/sessions', { method: 'POST', json: { email: u.email } }), 403, BAD_CREDENTIALS);
  });

  it('POST /api/sessions with Basic signs in too; remember_me sets Max-Age of 30 days', async () => {
    const u = await signup();
    const res = await request(server.url, '/api/sessions', { method: 'POST', auth: [u.email, u.password] });
    assert.equal(res.status, 200, res.text);
    assert.equal(obj(res).id, u.id);
    assert.equal(await status('/api/sessions', { cookie: accountsCookie(cookieValue(res)) }), 200);
    assertJsonString(await request(server.url, '/api/sessions', { method: 'POST', auth: [u.email, 'wrong-password-123'] }), 403, BAD_CREDENTIALS);

    const remembered = await request(server.url, '/api/sessions', { method: 'POST', json: { email: u.email, password: u.password, remember_me: true } });
    assert.equal(remembered.status, 200, remembered.text);
    const a = attrs(remembered, ACCOUNTS_COOKIE);
    assert.ok(a.includes(`max-age=${30 * DAY}`), a.join('; '));
    assert.ok(a.includes('samesite=lax') && a.includes('httponly') && a.includes('path=/'));
    const basicRemembered = await request(server.url, '/api/sessions', { method: 'POST', auth: [u.email, u.password], json: { remember_me: true } });
    assert.ok(attrs(basicRemembered, ACCOUNTS_COOKIE).includes(`max-age=${30 * DAY}`));
  });

  it('GET /api/sessions answers {success: true} for a live cookie and 403 otherwise', async () => {
    const u = await signup();
    const ok = await request(server.url, '/api/sessions', { cookie: u.cookie });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { success: true });
    for (const options of [{}, { cookie: accountsCookie('garbage') }, { cookie: accountsCookie('') }, { auth: [u.email, u.password] as [string, string] }]) {
      const res = await request(server.url, '/api/sessions', options);
      assert.equal(res.status, 403, JSON.stringify(options));
      assert.equal(typeof res.json, 'string', 'accounts errors are JSON strings');
    }
  });

  it('DELETE /api/sessions revokes the session server-side and clears the cookie', async () => {
    const u = await signup();
    const other = accountsCookie(cookieValue(await request(server.url, '/api/sessions', { method: 'POST', json: { email: u.email, password: u.password } })));
    const res = await request(server.url, '/api/sessions', { method: 'DELETE', cookie: u.cookie });
    assert.equal(res.status, 200, res.text);
    const cleared = res.cookies[ACCOUNTS_COOKIE];
    assert.ok(cleared);
    assert.equal(cleared.value, '');
    assert.ok(attrs(res, ACCOUNTS_COOKIE).includes('max-age=0'));
    // The old value, replayed by a client that ignores the clearing, works nowhere.
    assert.equal(await status('/api/sessions', { cookie: u.cookie }), 403);
    assert.equal(await status('/api/v9/me', { cookie: u.cookie }), 403);
    assert.equal(await status('/api/v8/me', { cookie: u.cookie }), 403);
    assert.equal(await status('/api/v9/me/sessions', { method: 'DELETE', cookie: u.cookie }), 403);
    assert.equal(await status('/api/sessions', { cookie: other }), 200, 'other sessions are untouched');
    // Any credential is accepted: with Basic there is no session to end, and the answer is still 200.
    assert.equal(await status('/api/sessions', { method: 'DELETE', auth: [u.email, u.password] }), 200);
    assert.equal(await status('/api/sessions', { method: 'DELETE' }), 403);
  });

  it('POST /api/signup answers 201 with a session cookie and creates a default workspace named after the user', async () => {
    const email = uniqueEmail('signup');
    const res = await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD, display_name: 'Wanda Space', tos_accepted_for: 'gatehouse', remember_me: false, timezone: 'Europe/Tallinn' } });
    assert.equal(res.status, 201, res.text);
    assertNoStore(res, 'POST /api/signup');
    const body = obj(res);
    assert.equal(body.email, email);
    assert.equal(body.fullname, 'Wanda Space');
    assert.equal(body.timezone, 'Europe/Tallinn');
    assert.equal(typeof body.id, 'number');
    const a = attrs(res, ACCOUNTS_COOKIE);
    assert.ok(a.includes('path=/') && a.includes('httponly') && a.includes('samesite=lax'), a.join('; '));
    const cookie = accountsCookie(cookieValue(res));
    assert.equal(await status('/api/sessions', { cookie }), 200, 'signup signs in');
    const me = obj(await request(server.url, '/api/v9/me', { cookie }));
    assert.equal(me.id, body.id);
    const workspaces = (await request(server.url, '/api/v9/me/workspaces', { cookie })).json as Json[];
    assert.equal(workspaces.length, 1);
    const ws = workspaces[0] as Json;
    assert.equal(ws.id, me.default_workspace_id);
    assert.match(ws.name as string, /Wanda Space/);

    const remembered = await request(server.url, '/api/signup', { method: 'POST', json: { email: uniqueEmail('signup'), password: GOOD_PASSWORD, remember_me: true } });
    assert.equal(remembered.status, 201);
    assert.ok(attrs(remembered, ACCOUNTS_COOKIE).includes(`max-age=${30 * DAY}`));

    assertJsonString(await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } }), 400, 'user with this email already exists');
    assertJsonString(await request(server.url, '/api/signup', { method: 'POST', json: { email: 'bad', password: GOOD_PASSWORD } }), 400, 'Invalid email');
  });

  it('POST /api/close_account kills every session and token; the email can sign up again; the id is not reused', async () => {
    const u = await signup('Leaving Soon');
    const second = accountsCookie(cookieValue(await request(server.url, '/api/sessions', { method: 'POST', json: { email: u.email, password: u.password } })));
    const v8 = `${API_COOKIE}=${cookieValue(await request(server.url, '/api/v8/sessions', { method: 'POST', auth: [u.email, u.password] }), API_COOKIE)}`;
    assert.equal(await status('/api/v9/me', { auth: [u.email, u.password] }), 200, 'prime the Basic cache');

    assert.equal(await status('/api/close_account', { method: 'POST', auth: [u.email, u.password] }), 403, 'closing needs the cookie');
    const res = await request(server.url, '/api/close_account', { method: 'POST', cookie: u.cookie });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.cookies[ACCOUNTS_COOKIE]?.value, '', 'accounts cookie cleared');

    for (const [what, options] of [
      ['closing cookie', { cookie: u.cookie }],
      ['other accounts session', { cookie: second }],
      ['v8 API session', { cookie: v8 }],
      ['API token', { auth: [u.token, 'api_token'] }],
      ['password', { auth: [u.email, u.password] }],
    ] as Array<[string, RequestOptions]>) {
      assert.equal(await status('/api/v9/me', options), 403, `${what} dies (v9)`);
      assert.equal(await status('/api/v8/me', options), 403, `${what} dies (v8)`);
    }
    assert.equal(await status('/api/sessions', { cookie: second }), 403);
    assert.equal(await status('/api/sessions', { method: 'POST', json: { email: u.email, password: u.password } }), 403);

    // Personal data is erased; the row stays as a tombstone.
    const row = await server.core.store.accountById(u.id);
    assert.ok(row, 'the tombstone row is kept');
    assert.ok(row.closed_at !== null);
    assert.deepEqual(
      [row.email, row.email_key, row.fullname, row.password_hash, row.api_token_enc, row.api_token_digest],
      [null, null, '', null, null, null],
      'email, names, password hash and API token erased',
    );

    const again = await signup('Back Again', 'harbor-violet-93-engine', u.email);
    assert.notEqual(again.id, u.id, 'the old id is not reused');
    assert.ok(again.id > u.id, 'the tombstone keeps its id');
    assert.notEqual(again.publicId, u.publicId);
    assert.equal(await status('/api/v9/me', { auth: [u.email, u.password] }), 403, 'the old password opens nothing');
    const me = obj(await request(server.url, '/api/v9/me', { auth: [u.email, 'harbor-violet-93-engine'] }));
    assert.equal(me.id, again.id);
    assert.equal(me.fullname, 'Back Again');
  });

  it('the session cookie is a JWS that verifies against /.well-known/jwks.json (EdDSA, kid; sid, sub, iat, exp)', async () => {
    const u = await signup();
    const jwksRes = await request(server.url, '/.well-known/jwks.json');
    assert.equal(jwksRes.status, 200);
    const jwks = jwksRes.json as JSONWebKeySet;
    assert.ok(Array.isArray(jwks.keys) && jwks.keys.length >= 1);
    for (const k of jwks.keys) {
      assert.equal(k.kty, 'OKP');
      assert.equal(k.crv, 'Ed25519');
      assert.equal(typeof k.kid, 'string');
      assert.ok(!('d' in k), 'no private part is published');
    }

    const t0 = Math.floor(Date.now() / 1000);
    for (const [remember, lifetime] of [
      [false, 7 * DAY],
      [true, 30 * DAY],
    ] as const) {
      const res = await request(server.url, '/api/sessions', { method: 'POST', json: { email: u.email, password: u.password, remember_me: remember } });
      const jws = cookieValue(res);
      const header = decodeProtectedHeader(jws);
      assert.equal(header.alg, 'EdDSA');
      assert.equal(typeof header.kid, 'string');
      assert.ok(jwks.keys.some((k) => k.kid === header.kid), 'kid names a published key');
      const { payload } = await jwtVerify(jws, createLocalJWKSet(jwks), { algorithms: ['EdDSA'] });
      assert.equal(typeof payload.sid, 'string');
      assert.ok((payload.sid as string).length >= 22, 'at least 128 bits');
      assert.equal(payload.sub, u.publicId, 'sub is the toggl_accounts_id');
      assert.equal(typeof payload.iat, 'number');
      assert.equal(typeof payload.exp, 'number');
      assert.ok(Math.abs((payload.iat as number) - t0) <= 10, 'iat is now');
      assert.ok(Math.abs((payload.exp as number) - (payload.iat as number) - lifetime) <= 5, `exp is ${lifetime} s after iat (remember_me=${remember})`);
    }
  });

  it('a tampered, re-signed or unsigned cookie is refused', async () => {
    const u = await signup();
    const jws = u.cookie.slice(ACCOUNTS_COOKIE.length + 1);
    const [h = '', p = '', s = ''] = jws.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Json;
    const header = decodeProtectedHeader(jws);
    const flip = (x: string) => (x[5] === 'A' ? x.slice(0, 5) + 'B' + x.slice(6) : x.slice(0, 5) + 'A' + x.slice(6));
    const longer = Buffer.from(JSON.stringify({ ...claims, exp: (claims.exp as number) + 365 * DAY })).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: header.kid as string, typ: 'JWT' }).sign(privateKey);
    const variants: Array<[string, string]> = [
      ['signature changed', `${h}.${p}.${flip(s)}`],
      ['payload changed, old signature', `${h}.${longer}.${s}`],
      ['alg none', none],
      ['signed by another key under the same kid', foreign],
      ['bare session id without the JWS', claims.sid as string],
      ['truncated', jws.slice(0, -3)],
    ];
    for (const [what, value] of variants) {
      const cookie = accountsCookie(value);
      assert.equal(await status('/api/sessions', { cookie }), 403, `${what}: GET /api/sessions`);
      const v9 = await request(server.url, '/api/v9/me', { cookie });
      assertJsonString(v9, 403, BAD_CREDENTIALS);
      const v8 = await request(server.url, '/api/v8/me', { cookie });
      assert.equal(v8.status, 403, `${what}: v8`);
      assert.equal(v8.text, '');
    }
    assert.equal(await status('/api/sessions', { cookie: u.cookie }), 200, 'the genuine cookie still works');
  });

  it('with both session cookies, the accounts cookie is the one a logout ends, whichever of them was used before', async () => {
    const u = await signup('Two Cookies');
    const v8 = await request(server.url, '/api/v8/sessions', { method: 'POST', auth: [u.token, 'api_token'] });
    assert.equal(v8.status, 200, v8.text);
    const api = `${API_COOKIE}=${cookieValue(v8, API_COOKIE)}`;
    // The API cookie used (so verified in memory); a fresh accounts cookie that has not been used yet.
    for (let i = 0; i < 2; i++) assert.equal(await status('/api/v9/me', { cookie: api }), 200);
    const fresh = accountsCookie(cookieValue(await request(server.url, '/api/sessions', { method: 'POST', json: { email: u.email, password: u.password } })));
    assert.equal(await status('/api/sessions', { method: 'DELETE', cookie: `${fresh}; ${api}` }), 200);
    assert.equal(await status('/api/v9/me', { cookie: fresh }), 403, 'the accounts session was ended');
    assert.equal(await status('/api/v9/me', { cookie: api }), 200, 'the API session was not');
  });

  it('the accounts cookie authenticates v9 and v8 routes too', async () => {
    const u = await signup('Cross Gen');
    const v9 = await request(server.url, '/api/v9/me', { cookie: u.cookie });
    assert.equal(v9.status, 200);
    assert.equal(obj(v9).id, u.id);
    assert.deepEqual((await request(server.url, '/api/v9/me/logged', { cookie: u.cookie })).json, {});
    const v8 = await request(server.url, '/api/v8/me', { cookie: u.cookie });
    assert.equal(v8.status, 200, v8.text);
    assert.equal((obj(v8).data as Json).id, u.id);
    const put = await request(server.url, '/api/v8/me', { method: 'PUT', cookie: u.cookie, json: { user: { fullname: 'Renamed By Cookie' } } });
    assert.equal(put.status, 200, put.text);
    assert.equal(obj(await request(server.url, '/api/v9/me', { cookie: u.cookie })).fullname, 'Renamed By Cookie');
  });

  it('answers Cache-Control: no-store on every response that carries a credential', async () => {
    const u = await signup();
    const cases: Array<[string, string, RequestOptions]> = [
      ['POST /api/sessions', '/api/sessions', { method: 'POST', json: { email: u.email, password: u.password } }],
      ['GET /api/v9/me', '/api/v9/me', { cookie: u.cookie }],
      ['GET /api/v9/me?with_related_data=true', '/api/v9/me?with_related_data=true', { cookie: u.cookie }],
      ['PUT /api/v9/me', '/api/v9/me', { method: 'PUT', cookie: u.cookie, json: { fullname: 'No Store' } }],
      ['POST /api/v9/me/sessions', '/api/v9/me/sessions', { method: 'POST', auth: [u.email, u.password] }],
      ['GET /api/v8/me', '/api/v8/me', { auth: [u.email, u.password] }],
      ['POST /api/v8/sessions', '/api/v8/sessions', { method: 'POST', auth: [u.email, u.password] }],
      ['POST /api/v9/me/reset_token', '/api/v9/me/reset_token', { method: 'POST', cookie: u.cookie }],
      ['POST /api/v8/reset_token', '/api/v8/reset_token', { method: 'POST', cookie: u.cookie }],
      ['POST /api/v8/signups', '/api/v8/signups', { method: 'POST', json: { user: { email: uniqueEmail('nostore'), password: GOOD_PASSWORD } } }],
    ];
    for (const [what, path, options] of cases) {
      const res = await request(server.url, path, options);
      assert.equal(res.status, 200, `${what}: ${res.text}`);
      assertNoStore(res, what);
    }
  });

  it('refuses cookie-authenticated POST/DELETE from another site with 403', async () => {
    const u = await signup();
    const v8 = `${API_COOKIE}=${cookieValue(await request(server.url, '/api/v8/sessions', { method: 'POST', auth: [u.email, u.password] }), API_COOKIE)}`;
    const foreign = { origin: 'https://evil.example' };
    const refused: Array<[string, string, RequestOptions]> = [
      ['reset_token, foreign Origin', '/api/v9/me/reset_token', { method: 'POST', cookie: u.cookie, headers: foreign }],
      ['reset_token, Origin null', '/api/v9/me/reset_token', { method: 'POST', cookie: u.cookie, headers: { origin: 'null' } }],
      ['reset_token, Sec-Fetch-Site cross-site', '/api/v9/me/reset_token', { method: 'POST', cookie: u.cookie, headers: { 'sec-fetch-site': 'cross-site' } }],
      ['PUT /me, foreign Origin', '/api/v9/me', { method: 'PUT', cookie: u.cookie, headers: foreign, json: { fullname: 'Hijacked' } }],
      ['DELETE /api/sessions, foreign Origin', '/api/sessions', { method: 'DELETE', cookie: u.cookie, headers: foreign }],
      ['DELETE /api/v9/me/sessions, foreign Origin', '/api/v9/me/sessions', { method: 'DELETE', cookie: u.cookie, headers: foreign }],
      ['close_account, foreign Origin', '/api/close_account', { method: 'POST', cookie: u.cookie, headers: foreign }],
      ['v8 DELETE /sessions, foreign Origin', '/api/v8/sessions', { method: 'DELETE', cookie: v8, headers: foreign }],
      ['v8 reset_token, foreign Origin', '/api/v8/reset_token', { method: 'POST', cookie: v8, headers: foreign }],
    ];
    for (const [what, path, options] of refused) assert.equal(await status(path, options), 403, what);

    // Nothing happened: same token, same name, both sessions alive.
    const me = obj(await request(server.url, '/api/v9/me', { cookie: u.cookie, headers: foreign }));
    assert.equal(me.api_token, u.token, 'a safe GET from another site is answered; the token was not reset');
    assert.notEqual(me.fullname, 'Hijacked');
    assert.equal(await status('/api/sessions', { cookie: u.cookie }), 200);
    assert.equal(await status('/api/v8/me', { cookie: v8 }), 200);

    // The same requests from the server's own origin, or without a cookie, are fine.
    assert.equal(await status('/api/v9/me', { method: 'PUT', cookie: u.cookie, headers: { origin: server.config.publicUrl }, json: { fullname: 'Same Site' } }), 200);
    assert.equal(await status('/api/v9/me', { method: 'PUT', cookie: u.cookie, headers: { 'sec-fetch-site': 'same-origin' }, json: { fullname: 'Same Site' } }), 200);
    assert.equal(await status('/api/v9/me/reset_token', { method: 'POST', auth: [u.token, 'api_token'], headers: foreign }), 200, 'Basic is not a cookie: no cross-site rule');
  });

  it('treats the address the server listens on as its own origin when PUBLIC_URL is not set', async () => {
    // The test server listens on PORT=0 (an ephemeral port) without PUBLIC_URL: its public URL should be
    // the origin clients reach it at, so a same-origin browser request is not mistaken for a cross-site one.
    const u = await signup();
    assert.equal(new URL(server.config.publicUrl).origin, new URL(server.url).origin, 'public URL = listening address');
    assert.equal(await status('/api/v9/me', { method: 'PUT', cookie: u.cookie, headers: { origin: server.url }, json: { fullname: 'Own Origin' } }), 200);
    const me = obj(await request(server.url, '/api/v9/me', { cookie: u.cookie }));
    assert.equal((await request(me.image_url as string, '')).status, 200, 'image_url points at this server');
  });
});

describe('login throttle (LOGIN_MAX_FAILURES=3)', () => {
  let server: TestServer;
  const status = async (path: string, options: RequestOptions) => (await request(server.url, path, options)).status;

  before(async () => {
    server = await startTestServer({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_SECONDS: '120' });
  });
  after(async () => {
    await server.stop();
  });

  function remaining(res: Response): string | null {
    return res.headers.get('x-remaining-login-attempts');
  }

  it('counts down on every failed password (Basic, POST /api/sessions, v8), then refuses the right password with 429', async () => {
    const u = await signupAt(server, 'Locked Out');
    const v8 = `${API_COOKIE}=${cookieValue(await request(server.url, '/api/v8/sessions', { method: 'POST', auth: [u.email, u.password] }), API_COOKIE)}`;
    assert.equal(await status('/api/v9/me', { auth: [u.email, u.password] }), 200, 'prime the Basic cache');

    const first = await request(server.url, '/api/v9/me', { auth: [u.email, 'wrong-password-1'] });
    assertJsonString(first, 403, BAD_CREDENTIALS);
    assert.equal(remaining(first), '2');
    const second = await request(server.url, '/api/sessions', { method: 'POST', json: { email: u.email, password: 'wrong-password-2' } });
    assertJsonString(second, 403, BAD_CREDENTIALS);
    assert.equal(remaining(second), '1');
    const third = await request(server.url, '/api/v8/me', { auth: [u.email, 'wrong-password-3'] });
    assert.equal(third.status, 403);
    assert.equal(third.text, '');
    assert.equal(remaining(third), '0');

    for (const [what, path, options] of [
      ['v9 Basic', '/api/v9/me', { auth: [u.email, u.password] }],
      ['v8 Basic', '/api/v8/me', { auth: [u.email, u.password] }],
      ['POST /api/sessions JSON', '/api/sessions', { method: 'POST', json: { email: u.email, password: u.password } }],
      ['POST /api/sessions Basic', '/api/sessions', { method: 'POST', auth: [u.email, u.password] }],
      ['v8 POST /sessions', '/api/v8/sessions', { method: 'POST', auth: [u.email, u.password] }],
      ['v9 POST /me/sessions', '/api/v9/me/sessions', { method: 'POST', auth: [u.email, u.password] }],
    ] as Array<[string, string, RequestOptions]>) {
      const res = await request(server.url, path, options);
      assert.equal(res.status, 429, `${what}: the right password is refused during the cool-down`);
      const retry = Number(res.headers.get('retry-after'));
      assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 120, `${what}: Retry-After ${res.headers.get('retry-after')}`);
      assert.equal(res.cookies[ACCOUNTS_COOKIE], undefined, `${what}: no session is opened`);
      assert.equal(res.cookies[API_COOKIE], undefined, `${what}: no session is opened`);
    }
    const locked = await request(server.url, '/api/v9/me', { auth: [u.email, 'still-wrong-4'] });
    assert.equal(locked.status, 429, 'wrong passwords during the cool-down are refused the same way');

    // Tokens and existing sessions keep working.
    assert.equal(await status('/api/v9/me', { auth: [u.token, 'api_token'] }), 200, 'API token');
    assert.equal(await status('/api/v9/me', { cookie: u.cookie }), 200, 'accounts cookie');
    assert.equal(await status('/api/sessions', { cookie: u.cookie }), 200, 'accounts cookie on GET /api/sessions');
    assert.equal(await status('/api/v8/me', { cookie: v8 }), 200, 'v8 API cookie');
  });

  it('shows the same countdown for an unknown email, with the same status and body', async () => {
    const known = await signupAt(server);
    const unknown = uniqueEmail('ghost');
    for (const expected of ['2', '1', '0']) {
      const a = await request(server.url, '/api/v9/me', { auth: [known.email, 'wrong-password-x'] });
      const b = await request(server.url, '/api/v9/me', { auth: [unknown, 'wrong-password-x'] });
      assert.equal(remaining(a), expected);
      assert.equal(remaining(b), expected, 'unknown email counts down too');
      assert.equal(a.status, b.status);
      assert.equal(a.text, b.text);
      assert.equal(a.headers.get('content-type'), b.headers.get('content-type'));
    }
    const a = await request(server.url, '/api/sessions', { method: 'POST', json: { email: known.email, password: known.password } });
    const b = await request(server.url, '/api/sessions', { method: 'POST', json: { email: unknown, password: known.password } });
    assert.equal(a.status, 429);
    assert.equal(b.status, 429, 'an unknown email is locked out alike');
    assert.equal(a.text, b.text);
  });

  it('a successful login resets the count', async () => {
    const u = await signupAt(server);
    assert.equal(remaining(await request(server.url, '/api/v9/me', { auth: [u.email, 'wrong-password-y'] })), '2');
    assert.equal(remaining(await request(server.url, '/api/sessions', { method: 'POST', json: { email: u.email, password: 'wrong-password-y' } })), '1');
    assert.equal(await status('/api/sessions', { method: 'POST', json: { email: u.email, password: u.password } }), 200);
    assert.equal(remaining(await request(server.url, '/api/v9/me', { auth: [u.email, 'wrong-password-z'] })), '2');
  });
});

describe('session last-use writes are throttled (SESSION_TOUCH_SECONDS=1)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ SESSION_TOUCH_SECONDS: '1' });
  });
  after(async () => {
    await server.stop();
  });

  it('many requests within the interval leave the sessions row untouched; the first one after it moves last_used_at once', async () => {
    const u = await signupAt(server);
    const token = cookieValue(await request(server.url, '/api/v8/sessions', { method: 'POST', auth: [u.email, u.password] }), API_COOKIE);
    const row = async () => {
      const r = await server.core.store.sessionByDigest(sha256(token));
      assert.ok(r, 'the session row exists');
      return r;
    };
    const use = async () => assert.equal((await request(server.url, '/api/v8/me', { cookie: `${API_COOKIE}=${token}` })).status, 200);
    const created = await row();
    assert.equal(created.last_used_at, created.created_at);
    for (let i = 0; i < 10; i++) await use();
    assert.equal((await row()).last_used_at, created.last_used_at, 'no write for uses within the interval');

    await new Promise((r) => setTimeout(r, 1100));
    await use();
    const touched = (await row()).last_used_at;
    assert.ok(touched > created.last_used_at, 'the first use after the interval records the time');
    for (let i = 0; i < 10; i++) await use();
    assert.equal((await row()).last_used_at, touched, 'and then no write again until the next interval');
  });
});

describe('cookies over https (PUBLIC_URL=https://...)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ PUBLIC_URL: 'https://gatehouse.example' });
  });
  after(async () => {
    await server.stop();
  });

  it('both session cookies, and their clearing, carry Secure, HttpOnly, SameSite=Lax and Path=/', async () => {
    const email = uniqueEmail('https');
    const signup = await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    assert.equal(signup.status, 201, signup.text);
    const v8 = await request(server.url, '/api/v8/sessions', { method: 'POST', auth: [email, GOOD_PASSWORD] });
    const cleared = await request(server.url, '/api/sessions', {
      method: 'DELETE',
      cookie: accountsCookie(cookieValue(signup)),
      headers: { origin: 'https://gatehouse.example' },
    });
    assert.equal(cleared.status, 200, cleared.text);
    for (const [what, res, name] of [
      ['signup', signup, ACCOUNTS_COOKIE],
      ['v8 session', v8, API_COOKIE],
      ['logout', cleared, ACCOUNTS_COOKIE],
    ] as const) {
      const a = attrs(res, name);
      for (const expected of ['secure', 'httponly', 'samesite=lax', 'path=/']) assert.ok(a.includes(expected), `${what}: ${name} has ${expected}: ${a.join('; ')}`);
    }
  });
});
