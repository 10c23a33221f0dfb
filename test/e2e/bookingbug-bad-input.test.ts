// Bad input on the BookingBug dialect: broken multipart, malformed JSON, wrong types, huge fields and
// bodies, unknown and non-numeric company ids, unknown routes. Every answer is a 4xx with an
// {"error": "..."} body, never a 500 and never a hang (security.md "Bad input").
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admin, application, bb, company, login, multipartBody, type App } from '../helpers/bookingbug.js';
import { request, type Response } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';

function assertError(res: Response, status: number | 'any4xx', label: string): void {
  if (status === 'any4xx') assert.ok(res.status >= 400 && res.status < 500, `${label}: ${res.status} ${res.text}`);
  else assert.equal(res.status, status, `${label}: ${res.text}`);
  const body = res.json as { error?: unknown } | undefined;
  assert.equal(typeof body?.error, 'string', `${label}: {"error": ...} body, got ${res.text}`);
  assert.deepEqual(Object.keys(body as object), ['error'], label);
  assert.ok(!res.text.includes(GOOD_PASSWORD), `${label}: no password echoed`);
}

describe('BookingBug bad input', () => {
  let server: TestServer;
  let app: App;
  let root: number;
  let token: string;
  const email = uniqueEmail('bb-bad');

  before(async () => {
    server = await startTestServer();
    root = await company(server, 'Bad input');
    app = await application(server, root);
    await admin(server, root, email);
    token = (await login(server, app, '/login/admin', { email, password: GOOD_PASSWORD })).auth_token;
  });
  after(async () => server.stop());

  const raw = (path: string, contentType: string | undefined, body: string | Buffer, method = 'POST') =>
    request(server.url, `/api/v1${path}`, {
      method,
      body,
      headers: { 'App-Id': app.appId, 'App-Key': app.appKey ?? '', ...(contentType ? { 'Content-Type': contentType } : {}) },
    });

  it('broken multipart bodies', async () => {
    const good = multipartBody({ email, password: GOOD_PASSWORD }, 'XyZ');
    const cases: Array<[string, string, string | Buffer, number | 'any4xx']> = [
      ['no boundary', 'multipart/form-data', good.body, 400],
      ['wrong boundary', 'multipart/form-data; boundary=other', good.body, 'any4xx'],
      ['truncated', good.contentType, good.body.slice(0, 60), 400],
      ['garbage', good.contentType, 'this is not multipart at all', 'any4xx'],
      ['empty', good.contentType, '', 'any4xx'],
      ['binary noise', good.contentType, Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 131) % 256)), 'any4xx'],
      [
        'a file part',
        'multipart/form-data; boundary=XyZ',
        `--XyZ\r\nContent-Disposition: form-data; name="email"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n${email}\r\n--XyZ--\r\n`,
        400,
      ],
      ['a duplicate field', 'multipart/form-data; boundary=XyZ', multipartBody({ email, password: GOOD_PASSWORD }, 'XyZ').body.replace('--XyZ--', `--XyZ\r\nContent-Disposition: form-data; name="email"\r\n\r\nx@example.com\r\n--XyZ--`), 400],
      ['a huge field', 'multipart/form-data; boundary=XyZ', multipartBody({ email, password: 'p'.repeat(40 * 1024) }, 'XyZ').body, 413],
      ['too many fields', 'multipart/form-data; boundary=XyZ', multipartBody(Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i}`, 'x'])), 'XyZ').body, 413],
      ['wrong types: no fields at all', 'multipart/form-data; boundary=XyZ', '--XyZ--\r\n', 400],
      // Found by the fuzz suite: busboy hands an empty name over as no name at all (it was a 500).
      ['a field with an empty name', 'multipart/form-data; boundary=XyZ', '--XyZ\r\nContent-Disposition: form-data; name=""\r\n\r\n\r\n--XyZ--\r\n', 400],
      ['a field without a name', 'multipart/form-data; boundary=XyZ', '--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--\r\n', 400],
    ];
    for (const [label, type, body, status] of cases) assertError(await raw('/login/admin', type, body), status, `multipart ${label}`);
  });

  it('malformed and mistyped JSON and forms', async () => {
    const cases: Array<[string, string | undefined, string, number | 'any4xx']> = [
      ['malformed JSON', 'application/json', '{"email": ', 400],
      ['JSON array', 'application/json', '[1,2]', 400],
      ['JSON string', 'application/json', '"email"', 400],
      ['JSON null', 'application/json', 'null', 400],
      ['empty JSON', 'application/json', '', 400],
      ['deep JSON', 'application/json', '['.repeat(5000) + ']'.repeat(5000), 400],
      ['email as number', 'application/json', JSON.stringify({ email: 5, password: GOOD_PASSWORD }), 400],
      ['password as object', 'application/json', JSON.stringify({ email, password: { $ne: 1 } }), 400],
      ['email as array', 'application/json', JSON.stringify({ email: [email], password: GOOD_PASSWORD }), 400],
      ['empty password', 'application/json', JSON.stringify({ email, password: '' }), 400],
      ['huge email', 'application/json', JSON.stringify({ email: 'a'.repeat(5000), password: GOOD_PASSWORD }), 400],
      ['huge password', 'application/json', JSON.stringify({ email, password: 'p'.repeat(5000) }), 400],
      ['form with a duplicate field', 'application/x-www-form-urlencoded', `email=${encodeURIComponent(email)}&email=x&password=y`, 400],
      ['form with a huge field', 'application/x-www-form-urlencoded', `email=a&password=${'p'.repeat(40000)}`, 413],
      ['unsupported content type', 'text/plain', 'email=a&password=b', 415],
      ['xml', 'application/xml', '<email/>', 415],
    ];
    for (const [label, type, body, status] of cases) assertError(await raw('/login/admin', type, body), status, label);
    assertError(await raw('/login/admin', 'application/json', JSON.stringify({ email, password: 'x'.repeat(100 * 1024) })), 413, 'body over the limit');
    const ids: Array<[string, unknown]> = [['string', 'abc'], ['negative', -1], ['zero', 0], ['fraction', 1.5], ['huge', 1e300], ['object', { id: 1 }], ['too long', '9'.repeat(40)]];
    for (const [label, id] of ids) {
      assertError(await raw('/login', 'application/json', JSON.stringify({ email, password: GOOD_PASSWORD, id })), 400, `id ${label}`);
    }
    assertError(await raw('/login', 'application/x-www-form-urlencoded', `email=${encodeURIComponent(email)}&password=${GOOD_PASSWORD}&id=abc`), 400, 'form id abc');
  });

  it('JSON, urlencoded and multipart bodies have the same size limits (spec §1)', async () => {
    const creds = { email, password: GOOD_PASSWORD };
    const extras = (n: number, size = 1) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`extra${i}`, 'x'.repeat(size)]));
    const cases: Array<[string, Record<string, string>, number]> = [
      ['32 fields', { ...creds, ...extras(30) }, 200],
      ['33 fields', { ...creds, ...extras(31) }, 413],
      ['a field of exactly 16 KiB', { ...creds, note: 'n'.repeat(16 * 1024) }, 200],
      ['a field of 16 KiB + 1', { ...creds, note: 'n'.repeat(16 * 1024 + 1) }, 413],
      ['a field name of 101 bytes', { ...creds, ['k'.repeat(101)]: 'v' }, 413],
      ['a body over 64 KiB in fields under 16 KiB', { ...creds, ...extras(5, 14 * 1024) }, 413],
      ['a password over the schema limit', { email, password: 'p'.repeat(2000) }, 400],
    ];
    for (const [label, body, status] of cases) {
      for (const encoding of ['json', 'form', 'multipart'] as const) {
        const res = await bb(server, '/login/admin', { app, body, encoding });
        if (status === 200) assert.equal(res.status, 200, `${encoding} ${label}: ${res.text}`);
        else assertError(res, status, `${encoding} ${label}`);
      }
    }
  });

  it('unknown, non-numeric and out-of-range company ids', async () => {
    const body = { email, password: GOOD_PASSWORD };
    for (const id of ['abc', '0', '-1', '1.5', '1e3', '99999999999999999999', '%00', 'null', ' 1']) {
      for (const path of [`/login/admin/${encodeURIComponent(id)}`, `/login/${encodeURIComponent(id)}`, `/login/member/${encodeURIComponent(id)}`]) {
        assertError(await bb(server, path, { app, body }), 'any4xx', `POST ${path}`);
      }
      for (const path of [`/admin/${encodeURIComponent(id)}/company`, `/admin/${encodeURIComponent(id)}/administrators`, `/admin/${root}/administrators/${encodeURIComponent(id)}`]) {
        assertError(await bb(server, path, { app, token }), 'any4xx', `GET ${path}`);
      }
    }
    for (const path of ['/login/admin/987654321', '/login/987654321', '/login/member/987654321']) {
      const res = await bb(server, path, { app, body });
      assertError(res, 404, path);
      assert.deepEqual(res.json, { error: 'Company not found' });
    }
    assertError(await bb(server, '/admin/987654321/company', { app, token }), 404, 'admin route, unknown company');
    assertError(await bb(server, '/login/admin/abc', { app, body }), 400, 'non-numeric id');
  });

  it('unknown routes, methods and malformed URLs', async () => {
    for (const [method, path] of [
      ['GET', '/nothing'],
      ['POST', '/login/admin/1/2/3'],
      ['GET', '/login'],
      ['PATCH', '/login'],
      ['GET', '/admin'],
      ['GET', '/%E0%A4%A'],
      ['GET', `/admin/${root}/company/%zz`],
      ['GET', `/${'x'.repeat(2000)}`],
    ]) {
      const res = await request(server.url, `/api/v1${path}`, { method, headers: { 'App-Id': app.appId, 'App-Key': app.appKey ?? '', 'Auth-Token': token } });
      assertError(res, 'any4xx', `${method} ${path}`);
    }
    assertError(await request(server.url, '/api/v1', {}), 'any4xx', 'the bare prefix');
  });

  it('odd headers: several App-Ids, over-long, truncated and empty Auth-Tokens', async () => {
    const res = await request(server.url, `/api/v1/admin/${root}/company`, {
      headers: { 'App-Id': `${app.appId}, ${app.appId}`, 'App-Key': app.appKey ?? '', 'Auth-Token': token },
    });
    assertError(res, 401, 'two App-Ids');
    for (const t of ['x'.repeat(5000), `${token}x`, token.slice(1), `${token.startsWith('A') ? 'B' : 'A'}${token.slice(1)}`, '']) {
      assertError(await bb(server, `/admin/${root}/company`, { app, token: t }), 401, `token ${t.slice(0, 10)}`);
    }
  });
});
