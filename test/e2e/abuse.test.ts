// Guessing, flooding and enumeration (security.md "Guessing and flooding", "Enumeration"): the per-account
// lockout seen from many addresses, the per-address limit, TRUSTED_PROXIES, limits on reset mail and
// signups, and answers for known and unknown emails that differ in nothing but random values.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request, type RequestOptions, type Response } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';
import { admin, application, bb, company } from '../helpers/bookingbug.js';
import { resetCodeIn, startSmtp, type SmtpProcess } from '../helpers/smtp.js';

const COOKIE = '__Secure-accounts-session';

/** A client address no other test uses (documentation range 198.18.0.0/15 is for benchmarks; fine here). */
function address(): string {
  return `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

function from(ip: string, options: RequestOptions = {}): RequestOptions {
  return { ...options, headers: { ...(options.headers ?? {}), 'x-forwarded-for': ip } };
}

async function signup(server: TestServer, email = uniqueEmail('abuse'), ip = address()): Promise<{ email: string; cookie: string; token: string }> {
  const res = await request(server.url, '/api/signup', from(ip, { method: 'POST', json: { email, password: GOOD_PASSWORD } }));
  assert.equal(res.status, 201, res.text);
  const cookie = `${COOKIE}=${res.cookies[COOKIE]?.value ?? ''}`;
  const me = await request(server.url, '/api/v9/me', { cookie });
  return { email, cookie, token: (me.json as { api_token: string }).api_token };
}

function assertLocked(res: Response, what: string): void {
  assert.equal(res.status, 429, `${what}: ${res.status} ${res.text}`);
  const wait = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(wait) && wait >= 1, `${what}: Retry-After is a positive number of seconds, got ${res.headers.get('retry-after')}`);
}

describe('guessing one account from many addresses', () => {
  let smtp: SmtpProcess;
  let server: TestServer;
  before(async () => {
    smtp = await startSmtp();
    server = await startTestServer({ SMTP_URL: smtp.url, TRUSTED_PROXIES: 'loopback', LOGIN_MAX_FAILURES: '5', LOGIN_ADDRESS_MAX_FAILURES: '50' });
  });
  after(async () => {
    await server.stop();
    await smtp.stop();
  });

  it('locks password logins after the configured count; tokens, sessions and a reset still work', async () => {
    const user = await signup(server);
    for (let i = 1; i <= 5; i++) {
      const res = await request(server.url, '/api/v9/me', from(address(), { auth: [user.email, `wrong-guess-${i}`] }));
      assert.equal(res.status, 403, `guess ${i}`);
      assert.equal(res.headers.get('x-remaining-login-attempts'), String(5 - i), `guess ${i}: remaining attempts`);
    }
    // The right password, from yet another address, on every password route: refused during the cool-down.
    assertLocked(await request(server.url, '/api/v9/me', from(address(), { auth: [user.email, GOOD_PASSWORD] })), 'v9 Basic');
    assertLocked(await request(server.url, '/api/sessions', from(address(), { method: 'POST', auth: [user.email, GOOD_PASSWORD] })), 'accounts login');
    assertLocked(await request(server.url, '/api/v8/me', from(address(), { auth: [user.email, GOOD_PASSWORD] })), 'v8 Basic');

    assert.equal((await request(server.url, '/api/v9/me', { auth: [user.token, 'api_token'] })).status, 200, 'API token unaffected');
    assert.equal((await request(server.url, '/api/v9/me', { cookie: user.cookie })).status, 200, 'existing session unaffected');

    const asked = await request(server.url, '/api/password_reset', from(address(), { method: 'POST', json: { email: user.email } }));
    assert.equal(asked.status, 200, asked.text);
    const code = resetCodeIn(await smtp.waitFor(user.email));
    const newPassword = 'copper-meadow-58-signal';
    const done = await request(server.url, `/api/password_reset/${code}`, from(address(), { method: 'POST', json: { password: newPassword } }));
    assert.equal(done.status, 200, done.text);
    const after = await request(server.url, '/api/v9/me', from(address(), { auth: [user.email, newPassword] }));
    assert.equal(after.status, 200, 'a completed reset ends the cool-down');
  });

  it('counts unknown emails the same way (the count reveals nothing)', async () => {
    const ghost = uniqueEmail('ghost');
    for (let i = 1; i <= 5; i++) {
      const res = await request(server.url, '/api/v9/me', from(address(), { auth: [ghost, 'whatever-it-is'] }));
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('x-remaining-login-attempts'), String(5 - i));
    }
    assertLocked(await request(server.url, '/api/v9/me', from(address(), { auth: [ghost, 'whatever-it-is'] })), 'unknown email');
  });
});

describe('per-address limit and TRUSTED_PROXIES', () => {
  it('refuses password logins from an address that failed too often, over all accounts', async () => {
    const server = await startTestServer({ TRUSTED_PROXIES: '127.0.0.1', LOGIN_ADDRESS_MAX_FAILURES: '3' });
    try {
      const victim = await signup(server);
      const attacker = address();
      // The victim's password verified from that address first: memory knows the pair and the address is clear,
      // and the address's cool-down must still refuse it (the lock drops what memory knew, issue 9).
      assert.equal((await request(server.url, '/api/v9/me', from(attacker, { auth: [victim.email, GOOD_PASSWORD] }))).status, 200);
      assert.equal((await request(server.url, '/api/v9/me', from(attacker, { auth: [victim.email, GOOD_PASSWORD] }))).status, 200);
      for (let i = 0; i < 3; i++) {
        const res = await request(server.url, '/api/v9/me', from(attacker, { auth: [uniqueEmail('spray'), 'password-spray-1'] }));
        assert.equal(res.status, 403);
      }
      assertLocked(await request(server.url, '/api/v9/me', from(attacker, { auth: [victim.email, GOOD_PASSWORD] })), 'sprayed address');
      const elsewhere = await request(server.url, '/api/v9/me', from(address(), { auth: [victim.email, GOOD_PASSWORD] }));
      assert.equal(elsewhere.status, 200, 'other addresses are not affected');
      // A chain "client, proxy": the address the trusted proxy saw is the one counted.
      const chained = await request(server.url, '/api/v9/me', { auth: [victim.email, GOOD_PASSWORD], headers: { 'x-forwarded-for': `${attacker}, 127.0.0.1` } });
      assertLocked(chained, 'attacker behind a chain of trusted proxies');
    } finally {
      await server.stop();
    }
  });

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    const server = await startTestServer({ LOGIN_ADDRESS_MAX_FAILURES: '3' });
    try {
      const user = await signup(server);
      for (let i = 0; i < 3; i++) {
        const res = await request(server.url, '/api/v9/me', from(address(), { auth: [uniqueEmail('spray'), 'password-spray-1'] }));
        assert.equal(res.status, 403);
      }
      // The forged addresses were ignored: all three failures counted against the socket's address.
      assertLocked(await request(server.url, '/api/v9/me', from(address(), { auth: [user.email, GOOD_PASSWORD] })), 'forged X-Forwarded-For');
      assert.equal((await request(server.url, '/api/v9/me', { auth: [user.token, 'api_token'] })).status, 200, 'token requests are not throttled');
    } finally {
      await server.stop();
    }
  });

  it('refuses a malformed TRUSTED_PROXIES at start', async () => {
    await assert.rejects(startTestServer({ TRUSTED_PROXIES: '10.0.0.0/99' }), /TRUSTED_PROXIES/);
    await assert.rejects(startTestServer({ TRUSTED_PROXIES: 'proxy.example' }), /TRUSTED_PROXIES/);
  });
});

describe('limits on mail and signups', () => {
  let smtp: SmtpProcess;
  let server: TestServer;
  before(async () => {
    smtp = await startSmtp();
    server = await startTestServer({ SMTP_URL: smtp.url, TRUSTED_PROXIES: 'loopback', RESET_MAIL_PER_EMAIL: '2', RESET_MAIL_PER_ADDRESS: '4', SIGNUPS_PER_ADDRESS: '2' });
  });
  after(async () => {
    await server.stop();
    await smtp.stop();
  });

  it('limits reset mail per target email, alike for known and unknown emails', async () => {
    const known = (await signup(server)).email;
    const unknown = uniqueEmail('nobody');
    const answers: Record<string, Response[]> = { known: [], unknown: [] };
    for (let i = 0; i < 3; i++) {
      answers.known?.push(await request(server.url, '/api/password_reset', from(address(), { method: 'POST', json: { email: known } })));
      answers.unknown?.push(await request(server.url, '/api/password_reset', from(address(), { method: 'POST', json: { email: unknown } })));
    }
    for (const [which, list] of Object.entries(answers)) {
      assert.deepEqual(
        list.map((r) => r.status),
        [200, 200, 429],
        which,
      );
      assertLocked(list[2] as Response, `third reset mail to the ${which} email`);
    }
    assert.equal(answers.known?.[2]?.text, answers.unknown?.[2]?.text, 'the refusal is the same for both');
    await smtp.waitFor(known);
    await smtp.waitFor(known);
    assert.equal(smtp.mails.filter((m) => m.to.includes(known)).length, 2, 'exactly two mails went out');
  });

  it('limits reset mail per client address', async () => {
    const ip = address();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await request(server.url, '/api/password_reset', from(ip, { method: 'POST', json: { email: uniqueEmail('flood') } }))).status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
    // Refused requests use up nothing: the flooding address cannot exhaust a victim's per-email allowance.
    const victim = uniqueEmail('victim');
    for (let i = 0; i < 3; i++) {
      assertLocked(await request(server.url, '/api/password_reset', from(ip, { method: 'POST', json: { email: victim } })), 'cut-off address');
    }
    const owner = await request(server.url, '/api/password_reset', from(address(), { method: 'POST', json: { email: victim } }));
    assert.equal(owner.status, 200, 'the victim can still ask for a reset from elsewhere');
    const other = await request(server.url, '/api/password_reset', from(address(), { method: 'POST', json: { email: uniqueEmail('flood') } }));
    assert.equal(other.status, 200, 'another address still may');
  });

  it('limits signups per client address', async () => {
    const ip = address();
    await signup(server, uniqueEmail('s1'), ip);
    await signup(server, uniqueEmail('s2'), ip);
    const third = await request(server.url, '/api/signup', from(ip, { method: 'POST', json: { email: uniqueEmail('s3'), password: GOOD_PASSWORD } }));
    assertLocked(third, 'third signup from one address');
    const v8 = await request(server.url, '/api/v8/signups', from(ip, { method: 'POST', json: { user: { email: uniqueEmail('s4'), password: GOOD_PASSWORD } } }));
    assertLocked(v8, 'v8 signup from the same address');
    await signup(server, uniqueEmail('s5'), address());
  });
});

describe('enumeration', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ LOGIN_MAX_FAILURES: '1000' });
  });
  after(() => server.stop());

  /** Status, body and headers, minus the values that are different on every response. */
  function shape(res: Response): string {
    const headers = [...res.headers.entries()].filter(([k]) => !['date', 'x-request-id', 'x-remaining-login-attempts', 'keep-alive', 'connection'].includes(k));
    return JSON.stringify({ status: res.status, body: res.text, headers });
  }

  const logins: Array<[string, (email: string) => [string, RequestOptions]]> = [
    ['v9 Basic', (email) => ['/api/v9/me', { auth: [email, 'not-the-password-1'] }]],
    ['v8 Basic', (email) => ['/api/v8/me', { auth: [email, 'not-the-password-1'] }]],
    ['accounts login', (email) => ['/api/sessions', { method: 'POST', auth: [email, 'not-the-password-1'] }]],
    ['v8 session', (email) => ['/api/v8/sessions', { method: 'POST', auth: [email, 'not-the-password-1'] }]],
    ['reset request', (email) => ['/api/password_reset', { method: 'POST', json: { email } }]],
    ['accounts login, JSON body', (email) => ['/api/sessions', { method: 'POST', json: { email, password: 'not-the-password-1' } }]],
    ['v9 session', (email) => ['/api/v9/me/sessions', { method: 'POST', auth: [email, 'not-the-password-1'] }]],
  ];

  for (const [name, build] of logins) {
    it(`${name}: known and unknown emails get the same answer`, async () => {
      const known = (await signup(server)).email;
      const [pathKnown, optsKnown] = build(known);
      const [pathUnknown, optsUnknown] = build(uniqueEmail('unknown'));
      const a = await request(server.url, pathKnown, optsKnown);
      const b = await request(server.url, pathUnknown, optsUnknown);
      assert.equal(shape(a), shape(b));
      assert.equal(a.headers.has('x-remaining-login-attempts'), b.headers.has('x-remaining-login-attempts'));
    });
  }

  it('an unknown email costs a password verify, like a wrong password', async () => {
    const known = (await signup(server)).email;
    const time = async (email: string) => {
      const t = performance.now();
      const res = await request(server.url, '/api/v9/me', { auth: [email, 'not-the-password-1'] });
      assert.equal(res.status, 403);
      return performance.now() - t;
    };
    const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)] as number;
    const knownTimes: number[] = [];
    const unknownTimes: number[] = [];
    for (let i = 0; i < 7; i++) {
      knownTimes.push(await time(known));
      unknownTimes.push(await time(uniqueEmail('timing')));
    }
    // An Argon2id verify costs tens of milliseconds; a lookup that skipped it would cost about one.
    const ratio = median(unknownTimes) / median(knownTimes);
    assert.ok(ratio > 0.5 && ratio < 2, `unknown/known median time ratio ${ratio.toFixed(2)} (known ${median(knownTimes).toFixed(1)} ms)`);
  });
});

describe('limits in the BookingBug dialect', () => {
  it('answers an over-limit reset request with 429, Retry-After and {"error"}', async () => {
    const server = await startTestServer({ RESET_MAIL_PER_EMAIL: '1' });
    try {
      const companyId = await company(server, 'Limits');
      const app = await application(server, companyId);
      const email = uniqueEmail('bb-limit');
      await admin(server, companyId, email);
      const first = await bb(server, '/login/admin/reset_password_email', { app, body: { email } });
      assert.equal(first.status, 200, first.text);
      const second = await bb(server, `/login/${companyId}/email_password_reset`, { app, body: { email } });
      assertLocked(second, 'second reset mail');
      assert.deepEqual(second.json, { error: 'Too many requests, try again later' });
    } finally {
      await server.stop();
    }
  });
});

describe('slow clients', () => {
  it('cuts off a client that trickles its request past REQUEST_TIMEOUT_SECONDS, and keeps serving others', async () => {
    const server = await startTestServer({ REQUEST_TIMEOUT_SECONDS: '1' });
    try {
      const { hostname, port } = new URL(server.url);
      const started = performance.now();
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), hostname, () => {
          // Headers complete, a body announced and never sent: the request can never finish on its own.
          socket.write(`POST /api/sessions HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"em`);
        });
        let got = '';
        socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
        socket.on('close', () => resolve(got));
        socket.on('error', reject);
        setTimeout(() => {
          socket.destroy();
          reject(new Error('the server never cut the slow client off'));
        }, 10_000).unref();
      });
      const seconds = (performance.now() - started) / 1000;
      assert.ok(seconds >= 0.9 && seconds < 5, `cut off after ${seconds.toFixed(1)} s`);
      assert.match(answer, /^HTTP\/1\.1 408 /, 'answered 408 Request Timeout before closing');
      assert.equal((await request(server.url, '/health')).status, 200);
    } finally {
      await server.stop();
    }
  });
});
