// The curl examples of seed 001 (BookingBug authentication), run with the real `curl` against the server,
// the host replaced by the test server's /api/v1 paths; plus the seed's multipart body byte for byte
// (the Ruby/Go/Java snippets, boundary ---011000010111000001101001).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { admin, application, company, type App } from '../helpers/bookingbug.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

/** Runs curl; returns the status (from -w) and the parsed body. */
async function curl(args: string[]): Promise<{ status: number; json: Record<string, unknown> }> {
  const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args]);
  const nl = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(nl + 1)), json: JSON.parse(stdout.slice(0, nl)) as Record<string, unknown> };
}

describe('seed 001: the BookingBug curl examples', () => {
  let server: TestServer;
  let app: App;
  let root: number;
  let child: number;
  let base: string;
  const email = uniqueEmail('seed-admin');

  before(async () => {
    server = await startTestServer();
    base = `${server.url}/api/v1`;
    root = await company(server, 'Seed parent');
    child = await company(server, 'Seed child', root);
    app = await application(server, root);
    await admin(server, root, email);
  });
  after(async () => server.stop());

  const appHeaders = () => ['-H', `App-Key: ${app.appKey}`, '-H', `App-Id: ${app.appId}`];

  it('login with a JSON body, then the token on an admin endpoint, then logout', async () => {
    const login = await curl([
      '-X', 'POST', ...appHeaders(), '-H', 'Cache-Control: no-cache', '-H', 'Content-Type: application/json',
      '-d', `{ "email": "${email}", "password": "${GOOD_PASSWORD}" }`, `${base}/login`,
    ]);
    assert.equal(login.status, 200, JSON.stringify(login.json));
    assert.equal(login.json.email, email);
    assert.equal(login.json.company_id, root);
    assert.equal(login.json.path, `${server.config.publicUrl}/api/v1`);
    const token = login.json.auth_token as string;
    assert.match(token, /^[A-Za-z0-9_-]{22}$/);
    const admins = (login.json._embedded as { administrators: Array<Record<string, unknown>> }).administrators;
    assert.equal(admins[0]?.role, 'owner');
    assert.deepEqual(Object.keys((admins[0]?._links ?? {}) as object).sort(), ['base_login', 'company', 'edit', 'login', 'self']);

    const headers = await run('curl', ['-sS', '-o', '/dev/null', '-D', '-', ...appHeaders(), '-H', `Auth-Token: ${token}`, `${base}/admin/${root}/company`]);
    assert.match(headers.stdout, /^cache-control: no-store\r?$/im, 'answers carrying tokens are never cached');
    assert.match(headers.stdout, /^content-type: application\/json/im);
    const company = await curl([...appHeaders(), '-H', `Auth-Token: ${token}`, `${base}/admin/${root}/company`]);
    assert.equal(company.status, 200);
    // "For every admin endpoint you must authenticate ... otherwise you will get back a 401 error"
    const anonymous = await curl([...appHeaders(), `${base}/admin/${root}/company`]);
    assert.equal(anonymous.status, 401);
    assert.deepEqual(anonymous.json, { error: '401 Unauthorized' });

    const logout = await curl([
      '-X', 'DELETE', '-H', `App-Id: ${app.appId}`, '-H', `App-Key: ${app.appKey}`, '-H', `Auth-Token: ${token}`,
      '-H', 'Content-Type: application/json', '-H', 'Cache-Control: no-cache', `${base}/login`,
    ]);
    assert.equal(logout.status, 200);
    assert.deepEqual(logout.json, { message: 'Logged out' });
    const after = await curl([...appHeaders(), '-H', `Auth-Token: ${token}`, `${base}/admin/${root}/company`]);
    assert.equal(after.status, 401, 'the token was invalidated');
  });

  it("the seed's multipart body, byte for byte", async () => {
    const body = `-----011000010111000001101001\r\nContent-Disposition: form-data; name="email"\r\n\r\n${email}\r\n-----011000010111000001101001\r\nContent-Disposition: form-data; name="password"\r\n\r\n${GOOD_PASSWORD}\r\n-----011000010111000001101001--`;
    const res = await curl([
      '-X', 'POST', '-H', 'content-type: multipart/form-data; boundary=---011000010111000001101001', '-H', `app-key: ${app.appKey}`,
      '-H', `app-id: ${app.appId}`, '-H', 'cache-control: no-cache', '--data-binary', body, `${base}/login`,
    ]);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.match(res.json.auth_token as string, /^[A-Za-z0-9_-]{22}$/);
  });

  it('curl -F (multipart built by curl)', async () => {
    const res = await curl(['-X', 'POST', ...appHeaders(), '-F', `email=${email}`, '-F', `password=${GOOD_PASSWORD}`, `${base}/login/admin`]);
    assert.equal(res.status, 200, JSON.stringify(res.json));
  });

  it('parent/child: the company id in the body', async () => {
    const res = await curl([
      '-X', 'POST', '-H', `App-Id: ${app.appId}`, '-H', `App-Key: ${app.appKey}`, '-H', 'Content-Type: application/json', '-H', 'Cache-Control: no-cache',
      '-d', `{\n    "email": "${email}",\n    "password": "${GOOD_PASSWORD}",\n    "id": ${child}\n  }`, `${base}/login`,
    ]);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.company_id, child);
  });

  it('admin authentication: the company id in the path', async () => {
    const res = await curl([
      '-X', 'POST', '-H', `App-Id: ${app.appId}`, '-H', `App-Key: ${app.appKey}`, '-H', 'Content-Type: application/json', '-H', 'Cache-Control: no-cache',
      '-d', `{\n    "email": "${email}",\n    "password": "${GOOD_PASSWORD}"\n  }`, `${base}/login/admin/${root}`,
    ]);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.company_id, root);
    const links = res.json._links as Record<string, { href: string; templated?: boolean }>;
    assert.equal(links.self?.href, `${server.config.publicUrl}/api/v1/login/${root}`);
    assert.equal(links.administrator?.templated, true);
  });

  it('curl -d without a content type (urlencoded form)', async () => {
    const res = await curl(['-X', 'POST', ...appHeaders(), '-d', `email=${encodeURIComponent(email)}&password=${GOOD_PASSWORD}`, `${base}/login/admin`]);
    assert.equal(res.status, 200, JSON.stringify(res.json));
  });
});
