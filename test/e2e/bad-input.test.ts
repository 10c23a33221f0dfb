// Bad input on the Toggl dialect (spec/toggl.md §1, §6; security.md "Bad input"): never a 5xx, always the
// documented 4xx in the format of the generation called. v9 and accounts: a JSON string body; v8: an empty
// body for 401/403 and a JSON array of messages otherwise. Table-driven; the server must still answer a
// valid request at the end.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, request, type RequestOptions, type Response } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';

type Gen = 'v9' | 'v8' | 'accounts';

interface Target {
  gen: Gen;
  method: string;
  path: string;
}

const b64 = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('base64');

/** Asserts status and the generation's error format; `message` (exact or pattern) is the first message. */
function assertError(gen: Gen, res: Response, status: number, label: string, message?: string | RegExp): void {
  const where = `${label}: got ${res.status} ${res.headers.get('content-type') ?? ''} ${res.text.slice(0, 200)}`;
  assert.ok(res.status < 500, `never a 5xx (${where})`);
  assert.equal(res.status, status, where);
  if (status === 401 || (gen === 'v8' && status === 403)) {
    assert.equal(res.text, '', `empty body (${where})`);
    return;
  }
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, where);
  let first: unknown;
  if (gen === 'v8') {
    assert.ok(Array.isArray(res.json) && res.json.length > 0 && res.json.every((m) => typeof m === 'string' && m !== ''), `JSON array of messages (${where})`);
    first = res.json[0];
  } else {
    assert.ok(typeof res.json === 'string' && res.json !== '', `JSON string (${where})`);
    first = res.json;
  }
  if (typeof message === 'string') assert.equal(first, message, where);
  else if (message) assert.match(String(first), message, where);
}

/** Runs every check of a table and fails once at the end, listing every row that failed. */
async function everyRow<T>(rows: readonly T[], check: (row: T) => Promise<void>): Promise<void> {
  const failures: string[] = [];
  for (const row of rows) {
    try {
      await check(row);
    } catch (err) {
      failures.push(err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err));
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${rows.length} rows failed`);
}

describe('bad input never gets a 5xx, and gets the documented 4xx in its generation’s format', () => {
  let server: TestServer;
  const email = uniqueEmail('bad-input');
  let tokenAuth: Record<string, string>;

  const send = (t: Target, options: RequestOptions = {}) => request(server.url, t.path, { method: t.method, ...options });

  before(async () => {
    server = await startTestServer();
    const signup = await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD, display_name: 'Bad Input' } });
    assert.equal(signup.status, 201, signup.text);
    const me = await request(server.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] });
    assert.equal(me.status, 200, me.text);
    const token = (me.json as { api_token: string }).api_token;
    assert.match(token, /^[0-9a-f]{32}$/);
    tokenAuth = { authorization: basic(token, 'api_token') };
  });
  after(async () => {
    await server.stop();
  });

  it('broken Basic headers: 403 in every generation, never a 500', async () => {
    const token = Buffer.from((tokenAuth.authorization ?? '').slice(6), 'base64').toString('utf8').split(':')[0] ?? '';
    const good = b64(`${email}:${GOOD_PASSWORD}`);
    const headers: Array<[string, string]> = [
      ['bad base64', 'Basic !!!notbase64!!!'],
      ['base64 with a stray character', `Basic ${good}*`],
      ['base64 of length 1 mod 4', 'Basic YTpiY'],
      ['base64url alphabet', `Basic ${Buffer.from(`${email}:?>?>~~`).toString('base64url')}`],
      ['no colon', `Basic ${b64(email)}`],
      ['empty user', `Basic ${b64(`:${GOOD_PASSWORD}`)}`],
      ['empty password', `Basic ${b64(`${email}:`)}`],
      ['only a colon', `Basic ${b64(':')}`],
      ['scheme only', 'Basic'],
      ['NUL in the password', `Basic ${b64(`${email}:${GOOD_PASSWORD}\u0000`)}`],
      ['newline in the user', `Basic ${b64(`x\n${email}:${GOOD_PASSWORD}`)}`],
      ['DEL in the password', `Basic ${b64(`${email}:\u007f${GOOD_PASSWORD}`)}`],
      ['invalid UTF-8 bytes', `Basic ${b64(Buffer.concat([Buffer.from(`${email}:`), Buffer.from([0xff, 0xfe, 0xc0, 0xaf])]))}`],
      ['latin-1 bytes in the header', 'Basic \u00ff\u00fe\u00e9\u00e8'],
      ['over-long header (8 KiB)', `Basic ${b64(`${'a'.repeat(3000)}@example.com:${'b'.repeat(3000)}`)}`],
      ['wrong scheme: Bearer', `Bearer ${token}`],
      ['wrong scheme: Digest', `Digest username="${email}", realm="toggl"`],
      ['no space after the scheme', `Basic${good}`],
      ['two credentials separated by a space', `Basic ${good} ${good}`],
      ['space inside the credentials', `Basic ${good.slice(0, 8)} ${good.slice(8)}`],
      ['api_token with a non-hex token', `Basic ${b64('not-a-token:api_token')}`],
      ['api_token with an upper-case token', `Basic ${b64(`${token.toUpperCase()}:api_token`)}`],
      ['api_token with a 33-character token', `Basic ${b64(`${token}0:api_token`)}`],
      ['api_token with a 31-character token', `Basic ${b64(`${token.slice(1)}:api_token`)}`],
      ['api_token with SQL in the token', `Basic ${b64("' OR '1'='1:api_token")}`],
      ['api_token with a well-shaped unknown token', `Basic ${b64(`${'0'.repeat(32)}:api_token`)}`],
    ];
    const targets: Target[] = [
      { gen: 'v9', method: 'GET', path: '/api/v9/me' },
      { gen: 'v9', method: 'POST', path: '/api/v9/me/sessions' },
      { gen: 'v8', method: 'GET', path: '/api/v8/me' },
      { gen: 'v8', method: 'POST', path: '/api/v8/sessions' },
      { gen: 'accounts', method: 'POST', path: '/api/sessions' },
    ];
    for (const [label, authorization] of headers) {
      for (const t of targets) assertError(t.gen, await send(t, { headers: { authorization } }), 403, `${label} on ${t.method} ${t.path}`);
    }
  });

  it('broken session cookies: 403 in every generation', async () => {
    const cookies = [
      '__Secure-accounts-session=garbage',
      '__Secure-accounts-session=a.b.c',
      `__Secure-accounts-session=${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sid":"x","exp":9999999999}').toString('base64url')}.`,
      `__Secure-accounts-session=${'x'.repeat(3000)}`,
      'toggl_api_session_new=%%%',
      `toggl_api_session_new=${'y'.repeat(500)}`,
    ];
    const targets: Target[] = [
      { gen: 'v9', method: 'GET', path: '/api/v9/me' },
      { gen: 'v8', method: 'GET', path: '/api/v8/me' },
      { gen: 'accounts', method: 'GET', path: '/api/sessions' },
    ];
    for (const cookie of cookies) {
      for (const t of targets) assertError(t.gen, await send(t, { cookie }), 403, `${cookie.slice(0, 40)} on ${t.path}`);
    }
  });

  it('no credentials: 401 with X-Authorization-Missing on v9, 403 on v8 and the accounts service', async () => {
    for (const path of ['/api/v9/me', '/api/v9/me/logged', '/api/v9/me/workspaces']) {
      const res = await request(server.url, path);
      assertError('v9', res, 401, path);
      assert.equal(res.headers.get('x-authorization-missing'), 'true', path);
    }
    assertError('v9', await request(server.url, '/api/v9/me/sessions', { method: 'POST' }), 401, 'POST /api/v9/me/sessions');
    assertError('v8', await request(server.url, '/api/v8/me'), 403, 'GET /api/v8/me');
    assertError('v8', await request(server.url, '/api/v8/sessions', { method: 'POST' }), 403, 'POST /api/v8/sessions');
    assertError('accounts', await request(server.url, '/api/sessions'), 403, 'GET /api/sessions');
    assertError('accounts', await request(server.url, '/api/sessions', { method: 'POST' }), 403, 'POST /api/sessions');
  });

  it('an Authorization header beyond the server’s header limit is a 4xx, not a 5xx', async () => {
    const huge = `Basic ${b64(`${'a'.repeat(9000)}:${'b'.repeat(9000)}`)}`;
    const res = await request(server.url, '/api/v9/me', { headers: { authorization: huge } });
    assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
    // The limit is the server's (16 KiB of headers), not the Basic parser's: any header counts, on any route.
    for (const path of ['/api/v9/me', '/api/sessions', '/api/v1/login']) {
      assert.equal((await request(server.url, path, { headers: { 'x-padding': 'p'.repeat(20 * 1024) } })).status, 431, path);
    }
  });

  it('RFC 7235 allows one or more spaces after the scheme', async () => {
    const res = await request(server.url, '/api/v9/me', { headers: { authorization: `Basic  ${b64(`${email}:${GOOD_PASSWORD}`)}` } });
    assert.equal(res.status, 200, res.text);
  });

  it('passwords containing ":" work: the header splits on the first colon only', async () => {
    for (const password of ['colon:in:the-middle-42', ':starts-and-ends-with-colon:', 'a::b::c::long-enough']) {
      const who = uniqueEmail('colon');
      const signup = await request(server.url, '/api/signup', { method: 'POST', json: { email: who, password } });
      assert.equal(signup.status, 201, `${password}: ${signup.text}`);
      assert.equal((await request(server.url, '/api/v9/me', { auth: [who, password] })).status, 200, password);
      assert.equal((await request(server.url, '/api/v8/me', { auth: [who, password] })).status, 200, password);
      assert.equal((await request(server.url, '/api/v9/me/sessions', { method: 'POST', auth: [who, password] })).status, 200, password);
      assertError('v9', await request(server.url, '/api/v9/me', { auth: [who, password.slice(0, -1)] }), 403, `${password} minus its last character`);
    }
    const v8 = uniqueEmail('colon8');
    assert.equal((await request(server.url, '/api/v8/signups', { method: 'POST', json: { user: { email: v8, password: 'v8:colon:pass-77' } } })).status, 200);
    assert.equal((await request(server.url, '/api/v8/me', { auth: [v8, 'v8:colon:pass-77'] })).status, 200);
  });

  it('malformed and wrongly shaped JSON bodies: 400 "Invalid JSON input"', async () => {
    const targets: Array<Target & { auth?: boolean }> = [
      { gen: 'v9', method: 'PUT', path: '/api/v9/me', auth: true },
      { gen: 'v9', method: 'POST', path: '/api/v9/me/sessions', auth: true },
      { gen: 'v8', method: 'PUT', path: '/api/v8/me', auth: true },
      { gen: 'v8', method: 'POST', path: '/api/v8/signups' },
      { gen: 'accounts', method: 'POST', path: '/api/signup' },
      { gen: 'accounts', method: 'POST', path: '/api/sessions' },
      { gen: 'accounts', method: 'POST', path: '/api/password_reset' },
      { gen: 'accounts', method: 'POST', path: '/api/password_reset/ABCDEFGHJKMN' },
    ];
    const bodies: Array<[string, string | Buffer, string?]> = [
      ['truncated object', '{"email": '],
      ['lone brace', '{'],
      ['trailing garbage', '{} x'],
      ['single quotes', "{'email': 'a@example.com'}"],
      ['unquoted keys', '{email: 1}'],
      ['trailing comma', '{"email": "a@example.com",}'],
      ['NaN', '{"beginning_of_week": NaN}'],
      ['arrays nested 1000 deep', `${'['.repeat(1000)}${']'.repeat(1000)}`],
      ['objects nested 1000 deep', `${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`],
      ['unbalanced nesting 1000 deep', '['.repeat(1000)],
      ['top-level array', '[]'],
      ['top-level array of objects', '[{"email": "a@example.com", "password": "x"}]'],
      ['top-level string', '"hello"'],
      ['top-level number', '42'],
      ['top-level true', 'true'],
      ['form-encoded body', 'email=a%40example.com&password=x', 'application/x-www-form-urlencoded'],
      ['multipart body', '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@example.com\r\n--x--\r\n', 'multipart/form-data; boundary=x'],
      ['XML body', '<user><email>a@example.com</email></user>', 'application/xml'],
      ['JSON type, form body', 'fullname=x', 'application/json'],
    ];
    for (const t of targets) {
      for (const [label, body, type] of bodies) {
        const headers: Record<string, string> = { 'content-type': type ?? 'application/json', ...(t.auth ? tokenAuth : {}) };
        assertError(t.gen, await send(t, { headers, body }), 400, `${label} on ${t.method} ${t.path}`, /^Invalid JSON input/);
      }
      // Not UTF-8: a 400 (which message depends on what the decoder makes of it).
      const notUtf8 = Buffer.from([0x7b, 0x22, 0x65, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
      assertError(t.gen, await send(t, { headers: { 'content-type': 'application/json', ...(t.auth ? tokenAuth : {}) }, body: notUtf8 }), 400, `invalid UTF-8 on ${t.path}`);
    }
  });

  it('empty bodies where a body is required: 400', async () => {
    const targets: Array<Target & { auth?: boolean }> = [
      { gen: 'v9', method: 'PUT', path: '/api/v9/me', auth: true },
      { gen: 'v8', method: 'PUT', path: '/api/v8/me', auth: true },
      { gen: 'v8', method: 'POST', path: '/api/v8/signups' },
      { gen: 'accounts', method: 'POST', path: '/api/signup' },
      { gen: 'accounts', method: 'POST', path: '/api/password_reset' },
    ];
    for (const t of targets) {
      for (const [label, body, type] of [
        ['empty, JSON type', '', 'application/json'],
        ['whitespace, JSON type', ' \r\n\t ', 'application/json'],
        ['empty, no type', '', undefined],
        ['null', 'null', 'application/json'],
        ['empty object', '{}', 'application/json'],
      ] as const) {
        const headers: Record<string, string> = { ...(type ? { 'content-type': type } : {}), ...(t.auth ? tokenAuth : {}) };
        const res = await send(t, { headers, body });
        // `{}` is a valid (empty) profile change on v9 PUT /me.
        if (label === 'empty object' && t.path === '/api/v9/me') assert.equal(res.status, 200, `${label} on ${t.path}: ${res.text}`);
        else assertError(t.gen, res, 400, `${label} on ${t.method} ${t.path}`);
      }
    }
    // Where the body is optional, an empty one is fine.
    assert.equal((await request(server.url, '/api/v9/me/sessions', { method: 'POST', headers: { ...tokenAuth, 'content-type': 'application/json' }, body: '' })).status, 200);
  });

  it('wrong types, unknown fields and over-long values: 400 with the field’s message', async () => {
    const long = (n: number) => 'x'.repeat(n);
    const longEmail = `${long(250)}@example.com`;
    // Profile changes, the same on v9 (flat) and v8 (wrapped in "user").
    const profile: Array<[Record<string, unknown>, string | RegExp]> = [
      [{ beginning_of_week: 'x' }, 'Invalid beginning_of_week'],
      [{ beginning_of_week: 7 }, 'Invalid beginning_of_week'],
      [{ beginning_of_week: -1 }, 'Invalid beginning_of_week'],
      [{ beginning_of_week: 1.5 }, 'Invalid beginning_of_week'],
      [{ beginning_of_week: null }, 'Invalid beginning_of_week'],
      [{ email: 5 }, 'Invalid email'],
      [{ email: 'not-an-email' }, 'Invalid email'],
      [{ email: longEmail }, 'Invalid email'],
      [{ email: `${long(5000)}@example.com` }, 'Invalid email'],
      [{ email: ['a@example.com'] }, 'Invalid email'],
      [{ fullname: 5 }, 'Invalid fullname'],
      [{ fullname: long(101) }, 'Invalid fullname'],
      [{ fullname: long(5000) }, 'Invalid fullname'],
      [{ fullname: { first: 'a' } }, 'Invalid fullname'],
      [{ timezone: 'Mars/Olympus_Mons' }, 'Invalid timezone'],
      [{ timezone: 5 }, 'Invalid timezone'],
      [{ default_workspace_id: 'one' }, 'Invalid default_workspace_id'],
      [{ default_workspace_id: 999999999 }, 'Invalid default_workspace_id'],
      [{ country_id: 'NL' }, 'Invalid country_id'],
      [{ password: 'harbor-violet-93-engine' }, 'Current password must be present to change password'],
      [{ password: 12345678, current_password: GOOD_PASSWORD }, 'Invalid password'],
      [{ password: long(5000), current_password: GOOD_PASSWORD }, 'Invalid password'],
      [{ unknown_field: 1 }, 'Unknown field: unknown_field'],
      [{ fullname: 'ok', is_admin: true }, 'Unknown field: is_admin'],
    ];
    for (const [body, message] of profile) {
      const label = JSON.stringify(body).slice(0, 60);
      assertError('v9', await request(server.url, '/api/v9/me', { method: 'PUT', headers: tokenAuth, json: body }), 400, `v9 PUT /me ${label}`, message);
      assertError('v8', await request(server.url, '/api/v8/me', { method: 'PUT', headers: tokenAuth, json: { user: body } }), 400, `v8 PUT /me ${label}`, message);
    }
    assertError('v8', await request(server.url, '/api/v8/me', { method: 'PUT', headers: tokenAuth, json: { user: 'x' } }), 400, 'v8 user not an object');
    assertError('v8', await request(server.url, '/api/v8/me', { method: 'PUT', headers: tokenAuth, json: { user: {}, extra: 1 } }), 400, 'v8 extra top-level field', 'Unknown field: extra');

    // Sign-up, on the accounts service and on v8.
    const signup: Array<[(e: string) => Record<string, unknown>, string | RegExp]> = [
      [() => ({ email: 5, password: GOOD_PASSWORD }), 'Invalid email'],
      [() => ({ email: 'not-an-email', password: GOOD_PASSWORD }), 'Invalid email'],
      [() => ({ email: longEmail, password: GOOD_PASSWORD }), 'Invalid email'],
      [() => ({ email: `${long(5000)}@example.com`, password: GOOD_PASSWORD }), 'Invalid email'],
      [(e) => ({ email: e, password: 5 }), 'Invalid password'],
      [(e) => ({ email: e, password: 'short' }), 'Password should be at least 8 characters'],
      [(e) => ({ email: e, password: long(257) }), 'Password should be at most 256 characters'],
      [(e) => ({ email: e, password: long(5000) }), /password/i],
      [(e) => ({ email: e, password: 'password123' }), 'Password is too common'],
      [(e) => ({ email: e, password: e }), 'Password must not be the same as the email'],
      [(e) => ({ email: e, password: GOOD_PASSWORD, timezone: 'Nowhere/Land' }), 'Invalid timezone'],
      [(e) => ({ email: e, password: GOOD_PASSWORD, favourite_colour: 'red' }), 'Unknown field: favourite_colour'],
      [() => ({ password: GOOD_PASSWORD }), /email/],
      [(e) => ({ email: e }), /password/],
    ];
    for (const [make, message] of signup) {
      const body = make(uniqueEmail('bad-signup'));
      const label = JSON.stringify(body).slice(0, 60);
      assertError('accounts', await request(server.url, '/api/signup', { method: 'POST', json: body }), 400, `POST /api/signup ${label}`, message);
      assertError('v8', await request(server.url, '/api/v8/signups', { method: 'POST', json: { user: body } }), 400, `POST /api/v8/signups ${label}`, message);
    }
    const accountsOnly: Array<[string, Record<string, unknown>, string | RegExp]> = [
      ['/api/signup', { email: uniqueEmail(), password: GOOD_PASSWORD, remember_me: 'yes' }, 'Invalid remember_me'],
      ['/api/signup', { email: uniqueEmail(), password: GOOD_PASSWORD, display_name: long(101) }, 'Invalid fullname'],
      ['/api/signup', { email: uniqueEmail(), password: GOOD_PASSWORD, display_name: long(5000) }, /display_name|fullname/],
      ['/api/sessions', { email, password: GOOD_PASSWORD, remember_me: 'yes' }, 'Invalid remember_me'],
      ['/api/sessions', { email: 5, password: GOOD_PASSWORD }, 'Invalid email'],
      ['/api/sessions', { email, password: 5 }, 'Invalid password'],
      ['/api/sessions', { email: `${long(5000)}@example.com`, password: GOOD_PASSWORD }, 'Invalid email'],
      ['/api/sessions', { email, password: GOOD_PASSWORD, totp: '123456' }, 'Unknown field: totp'],
      ['/api/password_reset', { email: 5 }, 'Invalid email'],
      ['/api/password_reset', { email: `${long(5000)}@example.com` }, 'Invalid email'],
      ['/api/password_reset', { email, extra: true }, 'Unknown field: extra'],
      ['/api/password_reset/ABCDEFGHJKMN', { password: 5 }, 'Invalid password'],
      ['/api/password_reset/ABCDEFGHJKMN', { password: GOOD_PASSWORD }, /reset code/],
      ['/api/password_reset/%C3%A4%00..', { password: GOOD_PASSWORD }, /reset code/],
    ];
    for (const [path, body, message] of accountsOnly) {
      assertError('accounts', await request(server.url, path, { method: 'POST', json: body }), 400, `POST ${path} ${JSON.stringify(body).slice(0, 60)}`, message);
    }
    assertError('v9', await request(server.url, '/api/v9/me/sessions', { method: 'POST', headers: tokenAuth, json: { remember_me: 'yes' } }), 400, 'v9 remember_me "yes"', 'Invalid remember_me');
    assertError('v9', await request(server.url, '/api/v9/me?with_related_data=maybe', { headers: tokenAuth }), 400, 'with_related_data=maybe');
    assertError('v8', await request(server.url, '/api/v8/me?since=yesterday', { headers: tokenAuth }), 400, 'since=yesterday');

    // Logins with over-long values are plain failures, not errors.
    assertError('accounts', await request(server.url, '/api/sessions', { method: 'POST', json: { email: longEmail, password: GOOD_PASSWORD } }), 403, 'email over 254');
    assertError('v9', await request(server.url, '/api/v9/me', { auth: [longEmail, GOOD_PASSWORD] }), 403, 'Basic email over 254');
  });

  it('a login password over 256 characters (after NFKC) fails without being hashed; 256 is hashed and works', async () => {
    const hasher = server.core.hasher;
    let hashed = 0;
    const verify = hasher.verify.bind(hasher);
    const verifyDummy = hasher.verifyDummy.bind(hasher);
    hasher.verify = (stored, password) => (hashed++, verify(stored, password));
    hasher.verifyDummy = (password) => (hashed++, verifyDummy(password));
    try {
      const longest = `${'Zq7-'.repeat(64)}`;
      assert.equal([...longest].length, 256);
      const e = uniqueEmail('long-pass');
      assert.equal((await request(server.url, '/api/signup', { method: 'POST', json: { email: e, password: longest } })).status, 201);
      hashed = 0;
      assert.equal((await request(server.url, '/api/v9/me', { auth: [e, longest] })).status, 200, '256 characters log in');
      assert.equal(hashed, 1);
      hashed = 0;
      // 'ﬁ' is one character that NFKC turns into two: 256 as sent, 257 after NFKC.
      for (const tooLong of [`${longest}x`, `${longest.slice(0, 255)}\ufb01`]) {
        assertError('accounts', await request(server.url, '/api/sessions', { method: 'POST', json: { email: e, password: tooLong } }), 403, 'accounts login, password over 256');
        assertError('v9', await request(server.url, '/api/v9/me', { auth: [e, tooLong] }), 403, 'Basic, password over 256');
      }
      assertError('v9', await request(server.url, '/api/v9/me', { auth: [e, 'p'.repeat(1000)] }), 403, 'Basic, password of 1000');
      assert.equal(hashed, 0, 'no Argon2id work for a password over the limit');
    } finally {
      hasher.verify = verify;
      hasher.verifyDummy = verifyDummy;
    }
  });

  it('an over-long reset code in the path is a 4xx in the accounts format', async () => {
    const res = await request(server.url, `/api/password_reset/${'A'.repeat(300)}`, { method: 'POST', json: { password: GOOD_PASSWORD } });
    assertError('accounts', res, res.status >= 400 && res.status < 500 ? res.status : 400, 'reset code of 300 characters');
  });

  it('bodies over 64 KiB: 413 in the generation’s format', async () => {
    for (const size of [64 * 1024 + 1, 200 * 1024]) {
      const big = 'n'.repeat(size);
      const cases: Array<[Target, RequestOptions]> = [
        [{ gen: 'v9', method: 'PUT', path: '/api/v9/me' }, { headers: tokenAuth, json: { fullname: big } }],
        [{ gen: 'v8', method: 'PUT', path: '/api/v8/me' }, { headers: tokenAuth, json: { user: { fullname: big } } }],
        [{ gen: 'v8', method: 'POST', path: '/api/v8/signups' }, { json: { user: { email: uniqueEmail(), password: big } } }],
        [{ gen: 'accounts', method: 'POST', path: '/api/signup' }, { json: { email: uniqueEmail(), password: GOOD_PASSWORD, display_name: big } }],
        [{ gen: 'accounts', method: 'POST', path: '/api/sessions' }, { json: { email, password: big } }],
      ];
      for (const [t, options] of cases) assertError(t.gen, await send(t, options), 413, `${size} bytes to ${t.method} ${t.path}`);
    }
    // Authentication comes first: without credentials the answer is 401, before the body is read.
    assertError('v9', await request(server.url, '/api/v9/me', { method: 'PUT', json: { fullname: 'n'.repeat(100 * 1024) } }), 401, 'large body, no credentials');
  });

  it('odd Unicode: accepted when well-formed and stored as sent, refused when ill-formed or control', async () => {
    const put = (body: string) => request(server.url, '/api/v9/me', { method: 'PUT', headers: { ...tokenAuth, 'content-type': 'application/json' }, body });
    for (const name of ['Zoë Ñandú 😀', 'محمد', '山田 太郎', 'e\u0301clair', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}']) {
      const res = await put(JSON.stringify({ fullname: name }));
      assert.equal(res.status, 200, `${name}: ${res.text}`);
      assert.equal((res.json as { fullname: string }).fullname, name);
    }
    for (const [label, fullname] of [
      ['NUL', 'a\u0000b'],
      ['line separator', 'a\u2028b'],
      ['C1 control', 'a\u0085b'],
      ['only spaces', '   '],
    ] as const) {
      assertError('v9', await put(JSON.stringify({ fullname })), 400, label, 'Invalid fullname');
    }
    // Invisible or direction-changing characters: the server may accept or refuse, never fail.
    for (const fullname of ['\u202Eevil', 'zero\u200Bwidth', '\uFEFFbom', '\uFFFF\uFFFE']) {
      const res = await put(JSON.stringify({ fullname }));
      assert.ok(res.status === 200 || res.status === 400, `${JSON.stringify(fullname)}: ${res.status} ${res.text}`);
    }
    for (const e of ['a\u0000@example.com', 'ü@exa\u2028mple.com', '\uFEFF@example.com']) {
      assertError('accounts', await request(server.url, '/api/signup', { method: 'POST', json: { email: e, password: GOOD_PASSWORD } }), 400, JSON.stringify(e), 'Invalid email');
    }
    assertError('v9', await put(JSON.stringify({ timezone: 'Europe/Berlin\u0000' })), 400, 'NUL in timezone', 'Invalid timezone');
    const idn = await request(server.url, '/api/signup', { method: 'POST', json: { email: `zoë.${Date.now()}@exämple.com`, password: GOOD_PASSWORD } });
    assert.ok(idn.status === 201 || idn.status === 400, `internationalised email: ${idn.status} ${idn.text}`);

    // Non-ASCII passwords travel as UTF-8 in Basic; NFKC-equal spellings are the same password.
    const who = uniqueEmail('unicode');
    const password = '\ufb03ne-pässwörd-Ñandú-😀';
    assert.equal((await request(server.url, '/api/signup', { method: 'POST', json: { email: who, password } })).status, 201);
    assert.equal((await request(server.url, '/api/v9/me', { auth: [who, password] })).status, 200);
    assert.equal((await request(server.url, '/api/v8/me', { auth: [who, password] })).status, 200);
    assert.equal((await request(server.url, '/api/v9/me', { auth: [who, password.normalize('NFKC')] })).status, 200, 'NFKC form');
  });

  it('lone surrogates (ill-formed UTF-16 in JSON escapes) are refused, not silently replaced', async () => {
    // They cannot be stored as UTF-8: replacing them with U+FFFD (differently per backend) corrupts the value.
    const rows: Array<[Gen, string, string, string]> = [
      ['v9', 'PUT', '/api/v9/me', '{"fullname":"a\\ud800b"}'],
      ['v9', 'PUT', '/api/v9/me', '{"fullname":"\\udc00\\ud800"}'],
      ['v8', 'PUT', '/api/v8/me', '{"user":{"fullname":"a\\udfffb"}}'],
    ];
    await everyRow(rows, async ([gen, method, path, body]) => {
      const res = await request(server.url, path, { method, headers: { ...tokenAuth, 'content-type': 'application/json' }, body });
      assertError(gen, res, 400, `lone surrogate ${body}`, 'Invalid fullname');
    });
  });

  it('content types: JSON is read whatever the type (as upstream); anything else that is not JSON is a 400', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-8', 'application/vnd.api+json']) {
      const res = await request(server.url, '/api/v9/me', { method: 'PUT', headers: { ...tokenAuth, 'content-type': type }, body: JSON.stringify({ fullname: 'Typed' }) });
      assert.equal(res.status, 200, `${type}: ${res.text}`);
    }
    const untyped = await request(server.url, '/api/v9/me', { method: 'PUT', headers: tokenAuth, body: Buffer.from(JSON.stringify({ fullname: 'Untyped' })) });
    assert.equal(untyped.status, 200, untyped.text);
    for (const [type, body] of [
      ['application/octet-stream', Buffer.from([0, 1, 2, 3, 255])],
      ['image/png', Buffer.from('89504e470d0a1a0a', 'hex')],
      ['text/html', '<p>hello</p>'],
    ] as const) {
      assertError('v9', await request(server.url, '/api/v9/me', { method: 'PUT', headers: { ...tokenAuth, 'content-type': type }, body }), 400, `v9 ${type}`);
      assertError('v8', await request(server.url, '/api/v8/me', { method: 'PUT', headers: { ...tokenAuth, 'content-type': type }, body }), 400, `v8 ${type}`);
      assertError('accounts', await request(server.url, '/api/signup', { method: 'POST', headers: { 'content-type': type }, body }), 400, `accounts ${type}`);
    }
  });

  it('unknown routes: 404 in the generation’s format, with or without credentials', async () => {
    const cases: Array<[Gen, string, string]> = [
      ['v9', 'GET', '/api/v9/nope'],
      ['v9', 'GET', '/api/v9/me/nope'],
      ['v9', 'POST', '/api/v9/workspaces/1/projects'],
      ['v9', 'DELETE', '/api/v9/me'],
      ['v9', 'GET', '/api/v9/../v9/me/../nope'],
      ['v8', 'GET', '/api/v8/nope'],
      ['v8', 'GET', '/api/v8/me/extra'],
      ['v8', 'POST', '/api/v8/time_entries/start'],
      ['v8', 'PATCH', '/api/v8/me'],
      ['accounts', 'GET', '/api/nope'],
      ['accounts', 'POST', '/api/v7/sessions'],
    ];
    const rows = cases.flatMap((c) => [{}, tokenAuth].map((headers) => [...c, headers] as const));
    await everyRow(rows, async ([gen, method, path, headers]) => {
      const res = await request(server.url, path, { method, headers });
      assertError(gen, res, res.status === 405 ? 405 : 404, `${method} ${path}${headers === tokenAuth ? ' (with credentials)' : ''}`);
    });
  });

  it('malformed URLs are a 400 in the generation’s format', async () => {
    const cases: Array<[Gen, string]> = [
      ['v9', '/api/v9/me%'],
      ['v9', '/api/v9/me%zz'],
      ['v8', '/api/v8/me%'],
      ['accounts', '/api/password_reset/%E0%A4%A'],
    ];
    await everyRow(cases, async ([gen, path]) => {
      const res = await request(server.url, path, { method: gen === 'accounts' ? 'POST' : 'GET', headers: tokenAuth, json: gen === 'accounts' ? { password: GOOD_PASSWORD } : undefined });
      assertError(gen, res, 400, path);
    });
  });

  it('after all of it, the server still answers valid requests', async () => {
    const me = await request(server.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] });
    assert.equal(me.status, 200, me.text);
    assert.equal((me.json as { email: string }).email, email);
    assert.equal((await request(server.url, '/api/v8/me', { headers: tokenAuth })).status, 200);
    const login = await request(server.url, '/api/sessions', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    assert.equal(login.status, 200, login.text);
    assert.equal((await request(server.url, '/health')).status, 200);
  });
});
