// Operability: the management listener's metrics (parsed with a Prometheus text-format parser) rise after
// scripted logins and failures, readiness answers 503 while draining, and every request leaves exactly one
// JSON log line with its fields and no secret; standard output carries only JSON lines.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admin, application, bb, company } from '../helpers/bookingbug.js';
import { request } from '../helpers/http.js';
import { has, scrape, value } from '../helpers/metrics.js';
import { deployment, killAllServers, startServerProcess, type Deployment, type ServerProcess } from '../helpers/process.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail } from '../helpers/server.js';

interface LogLine {
  level: number;
  time: string;
  msg: string;
  request_id?: string;
  method?: string;
  route?: string;
  status?: number;
  duration_ms?: number;
  dialect?: string;
  auth?: string;
  outcome?: string;
  reason?: string;
  account?: string;
}

function managementUrl(proc: ServerProcess): string {
  const m = /"management_url":"(http:\/\/[^"]+)"/.exec(proc.stdout());
  assert.ok(m, `start line names the management URL:\n${proc.output()}`);
  return m[1] as string;
}

function lines(proc: ServerProcess): LogLine[] {
  return proc
    .stdout()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as LogLine);
}

describe('management listener, metrics and request logs', () => {
  let d: Deployment;
  let proc: ServerProcess;
  let mgmt: string;

  before(async () => {
    d = deployment();
    proc = await startServerProcess(d, { LOG_LEVEL: 'info', LOGIN_MAX_FAILURES: '3' });
    mgmt = managementUrl(proc);
  });
  after(async () => {
    await killAllServers();
    d.remove();
  });

  it('serves liveness, readiness and metrics on its own port, not on the API port', async () => {
    assert.equal((await request(mgmt, '/health/live')).status, 200);
    const ready = await request(mgmt, '/health/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json, { status: 'ready', database: 'ok', migrations: 'ok', draining: false });
    assert.equal((await request(proc.url, '/metrics')).status, 404, 'API clients cannot read the metrics');
    assert.equal((await request(proc.url, '/health')).status, 200, 'the API port keeps /health');
    const s = await scrape(mgmt);
    for (const name of ['process_cpu_user_seconds_total', 'gatehouse_password_hash_queue_depth', 'gatehouse_mail_outbox', 'gatehouse_store_query_duration_seconds']) {
      assert.ok(has(s, name), `${name} is exported`);
    }
  });

  it('counts logins, failures, lockouts, sessions and requests; labels never carry emails, ids or tokens', async () => {
    const before = await scrape(mgmt);
    const email = uniqueEmail('metrics');
    const signup = await request(proc.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    assert.equal(signup.status, 201, signup.text);
    assert.equal((await request(proc.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] })).status, 200);
    assert.equal((await request(proc.url, '/api/v9/me', { auth: [email, 'wrong-password-zebra-71'] })).status, 403);
    assert.equal((await request(proc.url, '/api/v8/me', { auth: ['0123456789abcdef0123456789abcdef', 'api_token'] })).status, 403);
    const login = await request(proc.url, '/api/v9/me/sessions', { method: 'POST', auth: [email, GOOD_PASSWORD] });
    assert.equal(login.status, 200, login.text);
    const cookie = Object.entries(login.cookies).map(([k, v]) => `${k}=${v.value}`).join('; ');
    assert.equal((await request(proc.url, '/api/v9/me', { cookie })).status, 200);
    assert.equal((await request(proc.url, '/api/v9/me/sessions', { method: 'DELETE', cookie })).status, 200);
    // Lock out another email: LOGIN_MAX_FAILURES=3, then a 429.
    const victim = uniqueEmail('locked');
    for (let i = 0; i < 3; i++) await request(proc.url, '/api/v9/me', { auth: [victim, `wrong-password-${i}-zebra`] });
    assert.equal((await request(proc.url, '/api/v9/me', { auth: [victim, 'wrong-password-9-zebra'] })).status, 429);

    const now = await scrape(mgmt);
    const rise = (name: string, labels: Record<string, string> = {}) => value(now, name, labels) - value(before, name, labels);
    assert.ok(rise('gatehouse_auth_total', { dialect: 'toggl', method: 'password', outcome: 'ok' }) >= 2);
    assert.ok(rise('gatehouse_auth_total', { dialect: 'toggl', method: 'password', outcome: 'bad_credentials' }) >= 4);
    assert.equal(rise('gatehouse_auth_total', { dialect: 'toggl', method: 'api_token', outcome: 'bad_credentials' }), 1);
    assert.ok(rise('gatehouse_auth_total', { dialect: 'toggl', method: 'session', outcome: 'ok' }) >= 2);
    assert.equal(rise('gatehouse_auth_total', { dialect: 'toggl', method: 'password', outcome: 'locked' }), 1);
    assert.equal(rise('gatehouse_lockouts_total', { scope: 'account' }), 1);
    assert.ok(rise('gatehouse_sessions_created_total', { kind: 'accounts' }) >= 1);
    assert.equal(rise('gatehouse_sessions_revoked_total', { cause: 'logout' }), 1);
    assert.ok(rise('gatehouse_http_requests_total', { route: '/api/v9/me', method: 'GET', status: '403' }) >= 3);
    assert.ok(rise('gatehouse_http_request_duration_seconds', { route: '/api/signup', method: 'POST', status: '201' }) >= 1);
    assert.ok(rise('gatehouse_password_hash_wait_seconds') >= 4, 'every hash waits (or not) through the pool');
    assert.ok(rise('gatehouse_store_query_duration_seconds', { statement: 'select' }) > 0);

    const text = await (await fetch(`${mgmt}/metrics`)).text();
    const labelValues = [...text.matchAll(/="([^"]*)"/g)].map((m) => m[1] as string);
    for (const v of labelValues) {
      assert.ok(!v.includes('@'), `no email in a label: ${v}`);
      assert.ok(!/^\/.*\/\d+/.test(v), `no path with an id in a label: ${v}`);
      assert.ok(!/[0-9a-f]{32}/.test(v), `no token in a label: ${v}`);
    }
  });

  it('writes one JSON line per request with its fields, echoes a good X-Request-Id, generates one otherwise, and logs no secret', async () => {
    const email = uniqueEmail('logline');
    const signup = await request(proc.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD }, headers: { 'x-request-id': 'signup-req-1' } });
    assert.equal(signup.headers.get('x-request-id'), 'signup-req-1');
    const ok = await request(proc.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD], headers: { 'x-request-id': 'me-ok-1' } });
    const { toggl_accounts_id: publicId, api_token: token } = ok.json as { toggl_accounts_id: string; api_token: string };
    await request(proc.url, '/api/v9/me', { auth: [email, 'wrong-password-zebra-72'], headers: { 'x-request-id': 'me-bad-1' } });
    await request(proc.url, '/api/v8/me', { auth: [token, 'api_token'], headers: { 'x-request-id': 'me-token-1' } });
    const weird = await request(proc.url, '/api/v9/me', { headers: { 'x-request-id': 'bad id with spaces <script>' } });
    const generated = weird.headers.get('x-request-id') ?? '';
    assert.match(generated, /^[0-9a-f-]{36}$/, 'a malformed X-Request-Id is replaced by a generated one');
    await new Promise((r) => setTimeout(r, 200));

    const all = lines(proc); // every stdout line parses as JSON (JSON.parse above throws otherwise)
    const byId = (id: string) => all.filter((l) => l.request_id === id && l.msg === 'request');
    for (const id of ['signup-req-1', 'me-ok-1', 'me-bad-1', 'me-token-1', generated]) assert.equal(byId(id).length, 1, `exactly one line for ${id}`);
    const good = byId('me-ok-1')[0] as LogLine;
    assert.match(good.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(good.level, 30);
    assert.equal(good.method, 'GET');
    assert.equal(good.route, '/api/v9/me');
    assert.equal(good.status, 200);
    assert.equal(typeof good.duration_ms, 'number');
    assert.equal(good.dialect, 'toggl');
    assert.equal(good.auth, 'password');
    assert.equal(good.outcome, 'ok');
    assert.equal(good.account, publicId);
    const bad = byId('me-bad-1')[0] as LogLine;
    assert.deepEqual([bad.status, bad.auth, bad.outcome, bad.reason, bad.account], [403, 'password', 'bad_credentials', 'bad_password', undefined]);
    const tok = byId('me-token-1')[0] as LogLine;
    assert.deepEqual([tok.auth, tok.outcome, tok.account], ['api_token', 'ok', publicId]);
    const none = byId(generated)[0] as LogLine;
    assert.equal(none.status, 401);

    const out = proc.output();
    for (const secret of [GOOD_PASSWORD, 'wrong-password-zebra-72', token, Buffer.from(`${email}:${GOOD_PASSWORD}`).toString('base64')]) {
      assert.ok(!out.includes(secret), 'no credential in the output');
    }
    assert.ok(!out.includes(email), 'no email in the request lines');
  });
});

describe('readiness while draining', () => {
  it('answers 503 from the moment a graceful stop begins, while the API still serves the drain delay', async () => {
    const server = await startTestServer();
    try {
      assert.equal((await request(server.managementUrl, '/health/ready')).status, 200);
      const closing = server.close(1500);
      const ready = await request(server.managementUrl, '/health/ready');
      assert.equal(ready.status, 503);
      assert.equal((ready.json as { draining: boolean }).draining, true);
      assert.equal((await request(server.managementUrl, '/health/live')).status, 200, 'still alive');
      assert.equal((await request(server.url, '/health')).status, 200, 'the API keeps serving during the drain delay');
      await closing;
      await assert.rejects(fetch(`${server.managementUrl}/health/live`), 'the management port closes with the server');
    } finally {
      await server.stop();
    }
  });
});

describe('BookingBug authentication metrics', () => {
  it('counts BookingBug password logins and Auth-Token checks under dialect bookingbug', async () => {
    const server = await startTestServer();
    try {
      const companyId = await company(server, 'Metrics Co');
      const adminEmail = uniqueEmail('bb-metrics');
      await admin(server, companyId, adminEmail);
      const app = await application(server, companyId);
      const before = await scrape(server.managementUrl);
      const ok = await bb(server, '/login', { app, body: { email: adminEmail, password: GOOD_PASSWORD } });
      assert.equal(ok.status, 200, ok.text);
      const token = (ok.json as { auth_token: string }).auth_token;
      assert.equal((await bb(server, `/admin/${companyId}/company`, { app, token })).status, 200);
      assert.equal((await bb(server, `/admin/${companyId}/company`, { app, token: 'A'.repeat(22) })).status, 401);
      assert.equal((await bb(server, '/login', { app, body: { email: adminEmail, password: 'wrong-password-zebra-76' } })).status, 401);
      const now = await scrape(server.managementUrl);
      const rise = (labels: Record<string, string>) => value(now, 'gatehouse_auth_total', labels) - value(before, 'gatehouse_auth_total', labels);
      assert.equal(rise({ dialect: 'bookingbug', method: 'password', outcome: 'ok' }), 1);
      assert.equal(rise({ dialect: 'bookingbug', method: 'password', outcome: 'bad_credentials' }), 1);
      assert.equal(rise({ dialect: 'bookingbug', method: 'auth_token', outcome: 'ok' }), 1);
      assert.equal(rise({ dialect: 'bookingbug', method: 'auth_token', outcome: 'bad_credentials' }), 1);
      assert.ok(value(now, 'gatehouse_sessions_created_total', { kind: 'bb-admin' }) - value(before, 'gatehouse_sessions_created_total', { kind: 'bb-admin' }) >= 1);
    } finally {
      await server.stop();
    }
  });
});
