// The gateway (docs/gateway.md) with real parts: a small upstream server written here that records what
// reaches it, in front of which stand, side by side, Gatehouse's built-in proxy (GATEWAY_UPSTREAM), nginx
// (auth_request) and Caddy (forward_auth), configured from the files shipped in docs/. For each: every Toggl
// credential reaches the upstream with the identity headers and a Gatehouse-Assertion that verifies against
// the JWKS; refusals are the dialect's exact answers and the upstream sees nothing; the BookingBug company tree;
// a client's own Gatehouse-* headers never arrive; the npm clients work through it; on PostgreSQL, a revocation
// on another instance is refused at the gateway within one second.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createJrniClient } from '@bookinglab/booking-journey-api';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { emailKey } from '../../src/core/validate.js';
import { admin, application, company, member, type App } from '../helpers/bookingbug.js';
import { missing, startCaddy, startNginx, startUpstream, type Front, type Received, type Upstream } from '../helpers/gateway.js';
import { request, type RequestOptions, type Response } from '../helpers/http.js';
import { BACKEND, GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';
import { closedPort } from '../helpers/ports.js';

const ACCOUNTS_COOKIE = '__Secure-accounts-session';
const API_COOKIE = 'toggl_api_session_new';
const AUDIENCE = 'orders-api';

interface TogglAccount {
  email: string;
  publicId: string;
  apiToken: string;
  accountsCookie: string;
  apiCookie: string;
}


describe('gateway: built-in proxy, nginx auth_request, Caddy forward_auth', () => {
  let upstream: Upstream;
  let A: TestServer;
  let B: TestServer;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  const fronts = new Map<string, Front>();
  const secret = randomBytes(32).toString('hex');
  // BookingBug: top T; R (the administrator's company) and S (its sibling) under T; C under R.
  let T: number;
  let R: number;
  let C: number;
  let S: number;
  let app: App;
  let openApp: App;

  const rulesDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-gw-rules-'));
  const rulesFile = path.join(rulesDir, 'rules.json');
  writeFileSync(
    rulesFile,
    JSON.stringify({
      rules: [
        { name: 'open-status', path: '/api/v9/open/**', methods: ['GET'], require: 'public' },
        { name: 'legacy-pass', path: '/api/v9/legacy/**', require: 'toggl', pass_credentials: true },
      ],
    }),
  );

  before(async () => {
    upstream = await startUpstream();
    const env = { GATEWAY_RULES: rulesFile, GATEWAY_UPSTREAM: upstream.url, GATEWAY_AUDIENCE: AUDIENCE, TRUSTED_PROXIES: 'loopback', GATEHOUSE_SECRET: secret, GATEWAY_UPSTREAM_TIMEOUT_SECONDS: '1' };
    A = await startTestServer(env);
    // Two instances on one PostgreSQL database; on SQLite (one process's file) B is A.
    B = BACKEND === 'postgres' ? await startTestServer(env) : A;
    const bPort = Number(new URL(B.url).port);
    fronts.set('built-in proxy', { name: 'built-in proxy', url: B.url, stop: async () => undefined });
    if (!missing('nginx')) fronts.set('nginx', await startNginx(bPort, upstream.port));
    if (!missing('caddy')) fronts.set('caddy', await startCaddy(bPort, upstream.port));
    jwks = createLocalJWKSet((await request(B.url, '/.well-known/jwks.json')).json as JSONWebKeySet);
    T = await company(A, 'Top');
    R = await company(A, 'Region', T);
    C = await company(A, 'City', R);
    S = await company(A, 'Sibling', T);
    app = await application(A, T, true);
    openApp = await application(A, T, false);
  });

  after(async () => {
    for (const f of fronts.values()) await f.stop();
    if (B && B !== A) await B.stop();
    await A?.stop();
    await upstream?.close();
    rmSync(rulesDir, { recursive: true, force: true });
  });

  async function togglAccount(tag: string): Promise<TogglAccount> {
    const email = uniqueEmail(tag);
    const signup = await request(A.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    assert.equal(signup.status, 201, signup.text);
    const accountsCookie = `${ACCOUNTS_COOKIE}=${signup.cookies[ACCOUNTS_COOKIE]?.value ?? ''}`;
    const v8 = await request(A.url, '/api/v8/sessions', { method: 'POST', auth: [email, GOOD_PASSWORD] });
    assert.equal(v8.status, 200, v8.text);
    const apiCookie = `${API_COOKIE}=${v8.cookies[API_COOKIE]?.value ?? ''}`;
    const me = await request(A.url, '/api/v9/me', { cookie: accountsCookie });
    const account = await A.core.store.accountByEmailKey(emailKey(email));
    assert.ok(account);
    return { email, publicId: account.public_id, apiToken: (me.json as { api_token: string }).api_token, accountsCookie, apiCookie };
  }

  async function bbLogin(path: string, email: string, withApp: App = app): Promise<string> {
    const res = await request(A.url, `/api/v1${path}`, {
      method: 'POST',
      headers: { 'App-Id': withApp.appId, ...(withApp.appKey ? { 'App-Key': withApp.appKey } : {}) },
      json: { email, password: GOOD_PASSWORD },
    });
    assert.equal(res.status, 200, res.text);
    return (res.json as { auth_token: string }).auth_token;
  }

  /** One request through a front; returns the answer and what the upstream received for it. */
  async function through(front: Front, path: string, o: RequestOptions = {}): Promise<{ res: Response; got: Received[] }> {
    const mark = upstream.received.length;
    const res = await request(front.url, path, o);
    // An upstream request is recorded before its answer is sent, so it is in the list by now.
    return { res, got: upstream.since(mark) };
  }

  async function verifyAssertion(r: Received, path: string): Promise<Record<string, unknown>> {
    const token = r.headers['gatehouse-assertion'];
    assert.equal(typeof token, 'string', 'Gatehouse-Assertion reaches the upstream');
    const { payload, protectedHeader } = await jwtVerify(token as string, jwks, { audience: AUDIENCE, issuer: B.config.publicUrl, algorithms: ['EdDSA'] });
    assert.equal(protectedHeader.alg, 'EdDSA');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 60, 'the assertion lives 60 seconds');
    assert.equal(payload.htu, path);
    return payload as Record<string, unknown>;
  }

  function assertNoCredentials(r: Received): void {
    assert.equal(r.headers.authorization, undefined, 'Authorization is not passed on');
    assert.equal(r.headers['app-key'], undefined, 'App-Key is not passed on');
    assert.equal(r.headers['auth-token'], undefined, 'Auth-Token is not passed on');
    assert.ok(!String(r.headers.cookie ?? '').includes(ACCOUNTS_COOKIE) && !String(r.headers.cookie ?? '').includes(API_COOKIE), 'Gatehouse cookies are not passed on');
    for (const name of Object.keys(r.headers)) assert.ok(!name.startsWith('gatehouse-forward') && name !== 'gatehouse-refusal', `${name} stays between proxy and Gatehouse`);
  }

  for (const name of ['built-in proxy', 'nginx', 'caddy']) {
    const binary = name === 'built-in proxy' ? undefined : name;
    const skip = binary ? missing(binary) : false;
    describe(name, () => {
      const front = () => {
        const f = fronts.get(name);
        assert.ok(f, `${name} is running`);
        return f;
      };

      it('Toggl: each credential reaches the upstream with identity headers and a verifiable assertion', { skip }, async () => {
        const a = await togglAccount('gw-toggl');
        const cases: Array<[string, RequestOptions]> = [
          ['password', { auth: [a.email, GOOD_PASSWORD] }],
          ['api_token', { auth: [a.apiToken, 'api_token'] }],
          ['accounts_session', { cookie: `theme=dark; ${a.accountsCookie}` }],
          ['api_session', { cookie: a.apiCookie }],
        ];
        for (const [method, options] of cases) {
          const { res, got } = await through(front(), '/api/v9/me/time_entries?since=1', options);
          assert.equal(res.status, 200, `${method}: ${res.text}`);
          assert.deepEqual(res.json, [{ id: 1, description: 'from upstream' }], 'the upstream answer comes back');
          assert.equal(got.length, 1, `${method}: one request reached the upstream`);
          const r = got[0] as Received;
          assert.equal(r.method, 'GET');
          assert.equal(r.url, '/api/v9/me/time_entries?since=1');
          assert.equal(r.headers['gatehouse-account-id'], a.publicId);
          assert.equal(r.headers['gatehouse-email'], a.email);
          assert.equal(r.headers['gatehouse-auth-method'], method);
          assert.equal(r.headers['gatehouse-company-id'], undefined);
          assertNoCredentials(r);
          if (method === 'accounts_session') assert.equal(r.headers.cookie, 'theme=dark', 'other cookies are passed on');
          assert.ok(String(r.headers['x-forwarded-for'] ?? '').includes('127.0.0.1'), 'X-Forwarded-For is set');
          const claims = await verifyAssertion(r, '/api/v9/me/time_entries');
          assert.equal(claims.sub, a.publicId);
          assert.equal(claims.email, a.email);
          assert.equal(claims.auth_method, method);
        }
      });

      it('Toggl refusals: none, wrong password, revoked token — the exact answers, nothing upstream', { skip }, async () => {
        const a = await togglAccount('gw-refuse');
        const none = await through(front(), '/api/v9/me/time_entries');
        assert.equal(none.res.status, 401);
        assert.equal(none.res.headers.get('x-authorization-missing'), 'true');
        assert.equal(none.res.text, '');
        assert.equal(none.got.length, 0);

        const wrong = await through(front(), '/api/v9/me/time_entries', { auth: [a.email, 'not-the-password-9'] });
        assert.equal(wrong.res.status, 403);
        assert.equal(wrong.res.text, '"Incorrect username and/or password"');
        assert.match(wrong.res.headers.get('content-type') ?? '', /^application\/json/);
        assert.equal(wrong.res.headers.get('x-remaining-login-attempts'), '4');
        assert.equal(wrong.got.length, 0);

        const v8 = await through(front(), '/api/v8/time_entries', { auth: [a.email, 'not-the-password-9'] });
        assert.equal(v8.res.status, 403);
        assert.equal(v8.res.text, '', 'v8 answers 403 with an empty body');
        assert.equal(v8.got.length, 0);

        const reset = await request(A.url, '/api/v9/me/reset_token', { method: 'POST', cookie: a.accountsCookie });
        assert.equal(reset.status, 200);
        const revoked = await through(front(), '/api/v9/me/time_entries', { auth: [a.apiToken, 'api_token'] });
        assert.equal(revoked.res.status, 403);
        assert.equal(revoked.res.text, '"Incorrect username and/or password"');
        assert.equal(revoked.got.length, 0);

        const uncovered = await through(front(), '/not/an/api/path', { auth: [reset.json as string, 'api_token'] });
        assert.equal(uncovered.res.status, 404, 'a path no rule covers is refused');
        assert.equal(uncovered.got.length, 0);
      });

      it("the upstream's own answers pass through untouched (a 403 and a 503 with their headers)", { skip }, async () => {
        const a = await togglAccount('gw-pass');
        for (const code of [403, 503]) {
          const { res, got } = await through(front(), `/api/v9/status/${code}`, { auth: [a.apiToken, 'api_token'] });
          assert.equal(got.length, 1, 'exactly one upstream request (no retry)');
          assert.equal(res.status, code);
          assert.equal(res.text, `upstream says ${code}`);
          assert.equal(res.headers.get('x-upstream'), 'yes');
          assert.equal(res.headers.get('cache-control'), 'max-age=7');
        }
      });

      it('BookingBug: an administrator on its company and a child; refused on a sibling, the parent, as a member, with a wrong App-Key', { skip }, async () => {
        const adminEmail = uniqueEmail('gw-admin');
        await admin(A, R, adminEmail, { role: 'admin' });
        const token = await bbLogin(`/login/admin/${R}`, adminEmail);
        const account = await A.core.store.accountByEmailKey(emailKey(adminEmail));
        const headers = { 'App-Id': app.appId, 'App-Key': app.appKey ?? '', 'Auth-Token': token };
        for (const companyId of [R, C]) {
          const path = `/api/v1/admin/${companyId}/bookings`;
          const { res, got } = await through(front(), `${path}?page=2`, { headers });
          assert.equal(res.status, 200, res.text);
          assert.equal(got.length, 1);
          const r = got[0] as Received;
          assert.equal(r.headers['gatehouse-account-id'], account?.public_id);
          assert.equal(r.headers['gatehouse-email'], adminEmail);
          assert.equal(r.headers['gatehouse-company-id'], String(companyId));
          assert.equal(r.headers['gatehouse-role'], 'admin');
          assert.equal(r.headers['gatehouse-application-id'], app.appId);
          assert.equal(r.headers['gatehouse-auth-method'], 'auth_token');
          assert.equal(r.headers['app-id'], app.appId, 'App-Id (public) is passed on');
          assertNoCredentials(r);
          const claims = await verifyAssertion(r, path);
          assert.equal(claims.company_id, companyId);
          assert.equal(claims.role, 'admin');
          assert.equal(claims.application_id, app.appId);
        }
        for (const outside of [S, T]) {
          const { res, got } = await through(front(), `/api/v1/admin/${outside}/bookings`, { headers });
          assert.equal(res.status, 403, `company ${outside} is outside the token's tree`);
          assert.deepEqual(res.json, { error: 'Forbidden' });
          assert.equal(got.length, 0);
        }

        const memberEmail = uniqueEmail('gw-member');
        await member(A, C, memberEmail);
        const memberToken = await bbLogin(`/login/member/${C}`, memberEmail);
        const asMember = await through(front(), `/api/v1/admin/${C}/bookings`, { headers: { ...headers, 'Auth-Token': memberToken } });
        assert.equal(asMember.res.status, 401);
        assert.deepEqual(asMember.res.json, { error: '401 Unauthorized' });
        assert.equal(asMember.got.length, 0);
        // A member token on an application route is passed on as identity.
        const memberCall = await through(front(), `/api/v1/${C}/services`, { headers: { ...headers, 'Auth-Token': memberToken } });
        assert.equal(memberCall.res.status, 200, memberCall.res.text);
        assert.equal(memberCall.got[0]?.headers['gatehouse-role'], 'member');
        assert.equal(memberCall.got[0]?.headers['gatehouse-company-id'], String(C));

        const wrongKey = await through(front(), `/api/v1/admin/${R}/bookings`, { headers: { ...headers, 'App-Key': 'f'.repeat(32) } });
        assert.equal(wrongKey.res.status, 401);
        assert.deepEqual(wrongKey.res.json, { error: 'Invalid App-Id or App-Key' });
        assert.equal(wrongKey.got.length, 0);
        const noToken = await through(front(), `/api/v1/admin/${R}/bookings`, { headers: { 'App-Id': app.appId, 'App-Key': app.appKey ?? '' } });
        assert.equal(noToken.res.status, 401);
        assert.deepEqual(noToken.res.json, { error: '401 Unauthorized' });
        assert.equal(noToken.got.length, 0);
      });

      it('a lockout is 429 with Retry-After, as on /me, and the upstream sees nothing', { skip }, async () => {
        const a = await togglAccount('gw-lockout');
        for (let i = 0; i < 5; i++) {
          const r = await through(front(), '/api/v9/me/time_entries', { auth: [a.email, `wrong-password-${i}x`] });
          assert.equal(r.res.status, 403);
        }
        const locked = await through(front(), '/api/v9/me/time_entries', { auth: [a.email, GOOD_PASSWORD] });
        assert.equal(locked.res.status, 429, locked.res.text);
        assert.match(locked.res.headers.get('retry-after') ?? '', /^\d+$/);
        assert.equal(locked.got.length, 0);
        // Tokens keep working during a password lockout, as on /me.
        assert.equal((await through(front(), '/api/v9/me/time_entries', { auth: [a.apiToken, 'api_token'] })).res.status, 200);
      });

      it('GATEWAY_RULES: a public rule needs no credential; a pass_credentials rule passes them on', { skip }, async () => {
        const open = await through(front(), '/api/v9/open/status', { headers: { 'Gatehouse-Account-Id': 'spoofed' } });
        assert.equal(open.res.status, 200);
        assert.equal(open.got[0]?.headers['gatehouse-auth-method'], 'none');
        assert.equal(open.got[0]?.headers['gatehouse-account-id'], undefined);
        const notGet = await through(front(), '/api/v9/open/status', { method: 'POST' });
        assert.equal(notGet.res.status, 401, 'the public rule is for GET only; POST falls to toggl-v9');
        assert.equal(notGet.got.length, 0);
        const a = await togglAccount('gw-passcred');
        const auth = 'Basic ' + Buffer.from(`${a.apiToken}:api_token`).toString('base64');
        const legacy = await through(front(), '/api/v9/legacy/report', { headers: { authorization: auth }, cookie: `${a.accountsCookie}; theme=dark` });
        assert.equal(legacy.res.status, 200);
        assert.equal(legacy.got[0]?.headers.authorization, auth);
        assert.equal(legacy.got[0]?.headers.cookie, `${a.accountsCookie}; theme=dark`);
        assert.equal(legacy.got[0]?.headers['gatehouse-account-id'], a.publicId);
      });

      it("a client's own Gatehouse-* headers never reach the upstream", { skip }, async () => {
        const a = await togglAccount('gw-spoof');
        const spoof = {
          'Gatehouse-Account-Id': 'someone-else',
          'Gatehouse-Email': 'boss@example.com',
          'Gatehouse-Role': 'owner',
          'Gatehouse-Company-Id': '1',
          'Gatehouse-Assertion': 'forged',
          'Gatehouse-Forward-Authorization': 'Basic Zm9vOmJhcg==',
        };
        const { res, got } = await through(front(), '/api/v9/me/projects', { auth: [a.apiToken, 'api_token'], headers: spoof });
        assert.equal(res.status, 200);
        const r = got[0] as Received;
        assert.equal(r.headers['gatehouse-account-id'], a.publicId);
        assert.equal(r.headers['gatehouse-email'], a.email);
        assert.equal(r.headers['gatehouse-role'], undefined);
        assert.equal(r.headers['gatehouse-company-id'], undefined);
        assert.notEqual(r.headers['gatehouse-assertion'], 'forged');
        assert.equal(r.headers.authorization, undefined);
        // On an application-only route (no person) the spoofed account id is dropped, not kept.
        const appOnly = await through(front(), `/api/v1/${T}/services`, { headers: { ...spoof, 'App-Id': openApp.appId } });
        assert.equal(appOnly.res.status, 200, appOnly.res.text);
        assert.equal(appOnly.got[0]?.headers['gatehouse-account-id'], undefined);
        assert.equal(appOnly.got[0]?.headers['gatehouse-auth-method'], 'application');
        assert.equal(appOnly.got[0]?.headers['gatehouse-application-id'], openApp.appId);
      });

      it("a client's own X-Original-URI / X-Forwarded-Uri cannot choose the URI that is checked", { skip }, async () => {
        const adminEmail = uniqueEmail('gw-uri');
        await admin(A, R, adminEmail);
        const token = await bbLogin(`/login/admin/${R}`, adminEmail);
        const headers = { 'App-Id': app.appId, 'App-Key': app.appKey ?? '', 'Auth-Token': token };
        const forgeries: Array<Record<string, string>> = [
          { 'X-Original-URI': `/api/v1/admin/${R}/bookings`, 'X-Original-Method': 'GET' },
          { 'X-Forwarded-Uri': `/api/v1/admin/${R}/bookings`, 'X-Forwarded-Method': 'GET' },
        ];
        for (const forged of forgeries) {
          const { res, got } = await through(front(), `/api/v1/admin/${S}/bookings`, { headers: { ...headers, ...forged } });
          assert.ok([400, 401, 403].includes(res.status), `${JSON.stringify(forged)}: ${res.status} ${res.text}`);
          assert.equal(got.length, 0, 'nothing reaches the upstream');
        }
      });

      it('the npm clients toggl-client and @bookinglab/booking-journey-api work through it, unchanged but for the base URL', { skip }, async () => {
        const a = await togglAccount('gw-lib');
        const specifier: string = 'toggl-client';
        const connect = ((await import(specifier)) as { default: (o: { apiToken: string }) => { httpClient: { extend(o: { prefixUrl: string }): unknown }; timeEntries: { list(q: Record<string, string>): Promise<unknown> } } }).default;
        const toggl = connect({ apiToken: a.apiToken });
        toggl.httpClient = toggl.httpClient.extend({ prefixUrl: `${front().url}/api/v9` }) as typeof toggl.httpClient;
        const mark = upstream.received.length;
        assert.deepEqual(await toggl.timeEntries.list({ start_date: '2026-01-01', end_date: '2026-01-31' }), [{ id: 1, description: 'from upstream' }]);
        assert.equal(upstream.since(mark)[0]?.headers['gatehouse-account-id'], a.publicId);

        const memberEmail = uniqueEmail('gw-jrni');
        await member(A, C, memberEmail);
        const jrni = createJrniClient(`${front().url}/api/v1`, { appId: openApp.appId });
        const login = await jrni.login({ email: memberEmail, password: GOOD_PASSWORD });
        assert.equal(login.status, 200, 'the login goes to Gatehouse itself');
        const m2 = upstream.received.length;
        const services = await jrni.getServices(C);
        assert.equal(services.status, 200);
        assert.deepEqual(services.data, { upstream: true, path: `/api/v1/${C}/services`, body_bytes: 0 });
        assert.equal(upstream.since(m2)[0]?.headers['gatehouse-application-id'], openApp.appId);
      });

      it('a revocation on another instance is refused at the gateway within one second', { skip: skip || (BACKEND === 'sqlite' ? 'two instances need PostgreSQL (a SQLite file belongs to one process)' : false) }, async () => {
        const a = await togglAccount('gw-revoke');
        assert.equal((await through(front(), '/api/v9/me/time_entries', { auth: [a.apiToken, 'api_token'] })).res.status, 200);
        assert.equal((await through(front(), '/api/v9/me/time_entries', { cookie: a.accountsCookie })).res.status, 200);
        const adminEmail = uniqueEmail('gw-revoke-admin');
        await admin(A, R, adminEmail);
        const token = await bbLogin(`/login/admin/${R}`, adminEmail);
        const bbHeaders = { 'App-Id': app.appId, 'App-Key': app.appKey ?? '', 'Auth-Token': token };
        assert.equal((await through(front(), `/api/v1/admin/${R}/bookings`, { headers: bbHeaders })).res.status, 200);

        async function within(what: string, change: () => Promise<void>, refused: () => Promise<boolean>): Promise<void> {
          await change();
          const start = performance.now();
          for (;;) {
            const sent = performance.now() - start;
            if (await refused()) {
              console.log(`gateway revocation (${name}): ${what} refused ${sent.toFixed(1)} ms after the change on the other instance`);
              return;
            }
            assert.ok(sent < 1000, `${what}: still accepted ${sent.toFixed(0)} ms after the change`);
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        await within(
          'API token reset',
          async () => assert.equal((await request(A.url, '/api/v9/me/reset_token', { method: 'POST', cookie: a.accountsCookie })).status, 200),
          async () => (await through(front(), '/api/v9/me/time_entries', { auth: [a.apiToken, 'api_token'] })).res.status === 403,
        );
        await within(
          'accounts session logout',
          async () => assert.equal((await request(A.url, '/api/sessions', { method: 'DELETE', cookie: a.accountsCookie })).status, 200),
          async () => (await through(front(), '/api/v9/me/time_entries', { cookie: a.accountsCookie })).res.status === 403,
        );
        // A password verified (and cached) on B, changed on A.
        assert.equal((await through(front(), '/api/v9/me/time_entries', { auth: [a.email, GOOD_PASSWORD] })).res.status, 200);
        await within(
          'password change (old password cached on the gateway instance)',
          async () =>
            assert.equal(
              (await request(A.url, '/api/v9/me', { method: 'PUT', auth: [a.email, GOOD_PASSWORD], json: { current_password: GOOD_PASSWORD, password: 'harbour-violet-93-switch' } })).status,
              200,
            ),
          async () => (await through(front(), '/api/v9/me/time_entries', { auth: [a.email, GOOD_PASSWORD] })).res.status === 403,
        );
        await within(
          'BookingBug logout',
          async () => assert.equal((await request(A.url, '/api/v1/logout', { method: 'DELETE', headers: bbHeaders })).status, 200),
          async () => (await through(front(), `/api/v1/admin/${R}/bookings`, { headers: bbHeaders })).res.status === 401,
        );
      });
    });
  }

  describe('built-in proxy only', () => {
    it('upstream time-out is 504 and an unreachable upstream 502, in the dialect of the path', async () => {
      const a = await togglAccount('gw-errors');
      const slow = await request(B.url, '/api/v9/slow/3000', { auth: [a.apiToken, 'api_token'] });
      assert.equal(slow.status, 504);
      assert.equal(slow.text, '"Gateway timeout"');
      const dead = await startTestServer({ GATEWAY_UPSTREAM: `http://127.0.0.1:${await closedPort()}`, GATEHOUSE_SECRET: secret });
      try {
        const email = uniqueEmail('gw-dead');
        assert.equal((await request(dead.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } })).status, 201);
        const v9 = await request(dead.url, '/api/v9/me/time_entries', { auth: [email, GOOD_PASSWORD] });
        assert.equal(v9.status, 502);
        assert.equal(v9.text, '"Bad gateway"');
        const deadApp = await application(dead, await company(dead, 'Dead'), false);
        const bb = await request(dead.url, `/api/v1/1/services`, { headers: { 'App-Id': deadApp.appId } });
        assert.equal(bb.status, 502);
        assert.deepEqual(bb.json, { error: 'Bad gateway' });
        // Gatehouse's own routes keep answering beside the catch-all.
        assert.equal((await request(dead.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] })).status, 200);
        assert.equal((await request(dead.url, '/health')).status, 200);
      } finally {
        await dead.stop();
      }
    });

    it('forward-auth for Envoy: the original path after /gateway/check', async () => {
      const a = await togglAccount('gw-envoy');
      const ok = await request(B.url, '/gateway/check/api/v9/me/time_entries', { auth: [a.apiToken, 'api_token'] });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('gatehouse-account-id'), a.publicId);
      const refused = await request(B.url, '/gateway/check/api/v9/me/time_entries');
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('x-authorization-missing'), 'true');
      const forged = await request(B.url, '/gateway/refusal', { headers: { 'Gatehouse-Refusal': 'eyJzIjo0MDN9.bad' } });
      assert.equal(forged.status, 400, 'a refusal not sealed by Gatehouse is not replayed');
    });
  });
});
