// An existing open-source client of the BookingBug/JRNI API, unchanged but for its base URL, against a real
// Gatehouse: @bookinglab/booking-journey-api (MIT, github.com/bookinglab/booking-journey-api), its JrniClient.
//
// Why this one: it is the only maintained npm package found that speaks the JRNI REST API v1 (the other
// candidate, `bookingbug-customer`, is an AngularJS bundle that needs a browser). Workarounds:
// - The package declares `react` and `@tanstack/react-query` as peer dependencies (for its hooks) and
//   imports them at load time, so both are devDependencies here; the test uses only the plain client.
// - JrniClient sends `App-Id` but never `App-Key`, so the application is created without a key
//   (`gatehouse app create --no-key`), which spec §2 allows.
// - Its `login()` posts `{email, password}` to `/login` without a company: the application's company tree
//   decides; a member-only account logs in as that member. `getMember()` then uses the Auth-Token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createJrniClient } from '@bookinglab/booking-journey-api';
import { admin, application, company, member, type App } from '../helpers/bookingbug.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';
import { resetCodeIn, startSmtp, type SmtpProcess } from '../helpers/smtp.js';

describe('npm client @bookinglab/booking-journey-api (JrniClient)', () => {
  let server: TestServer;
  let smtp: SmtpProcess;
  let app: App;
  let root: number;
  let child: number;

  before(async () => {
    smtp = await startSmtp();
    server = await startTestServer({ SMTP_URL: smtp.url });
    root = await company(server, 'Client');
    child = await company(server, 'Client child', root);
    app = await application(server, root, false);
  });
  after(async () => {
    await server.stop();
    await smtp.stop();
  });

  const client = () => createJrniClient(`${server.config.publicUrl}/api/v1`, { appId: app.appId });

  it('logs a member in and reads the member with the Auth-Token', async () => {
    const email = uniqueEmail('jrni-member');
    const memberId = await member(server, child, email);
    const jrni = client();
    const login = await jrni.login({ email, password: GOOD_PASSWORD });
    assert.equal(login.status, 200);
    assert.match(login.data.auth_token, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(login.data.company_id, child);
    const embedded = login.data._embedded?.members?.[0];
    assert.ok(embedded);
    assert.equal(embedded.id, memberId);
    assert.equal(embedded.first_name, 'Mia');

    const got = await jrni.getMember(child, memberId, login.data.auth_token);
    assert.equal(got.status, 200);
    assert.equal((got.data as unknown as { email: string }).email, email);
  });

  it('logs an administrator in; a wrong password and an unknown token surface as the client errors', async () => {
    const email = uniqueEmail('jrni-admin');
    await admin(server, root, email);
    const jrni = client();
    const login = await jrni.login({ email, password: GOOD_PASSWORD });
    assert.equal(login.data.role, 'owner');
    assert.equal(login.data.company_id, root);

    await assert.rejects(jrni.login({ email, password: 'not-the-password-1' }), (err: { status?: number; message?: string }) => {
      assert.equal(err.status, 401);
      assert.equal(err.message, 'Invalid email or password');
      return true;
    });
    const memberEmail = uniqueEmail('jrni-member2');
    const memberId = await member(server, child, memberEmail);
    const m = await jrni.login({ email: memberEmail, password: GOOD_PASSWORD });
    await assert.rejects(jrni.getMember(child, memberId, `${m.data.auth_token.startsWith('A') ? 'B' : 'A'}${m.data.auth_token.slice(1)}`), (err: { status?: number; message?: string }) => {
      assert.equal(err.status, 401);
      assert.equal(err.message, '401 Unauthorized');
      return true;
    });
  });

  it('asks for a password reset mail: a member gets a code; an unknown email gets the same answer and no mail', async () => {
    const unknown = uniqueEmail('jrni-reset-unknown');
    const known = uniqueEmail('jrni-reset');
    await member(server, child, known);
    const none = await client().forgottenPassword(child, { email: unknown });
    const sent = await client().forgottenPassword(child, { email: known });
    assert.equal(none.status, 200);
    assert.equal(sent.status, 200);
    assert.deepEqual(none.data, sent.data, 'the same answer');
    // The outbox works in order: once the later request's mail has arrived, the earlier one was decided.
    assert.ok(resetCodeIn(await smtp.waitFor(known)).length >= 8);
    assert.deepEqual(smtp.mails.filter((m) => m.to.includes(unknown)), [], 'no mail to the unknown email');
  });
});
