// Password reset through a real SMTP server process: the code is read from the mail it received.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';
import { resetCodeIn, startSmtp, type SmtpProcess } from '../helpers/smtp.js';

describe('password reset by emailed code (accounts service)', () => {
  let smtp: SmtpProcess;
  let server: TestServer;

  before(async () => {
    smtp = await startSmtp();
    server = await startTestServer({ SMTP_URL: smtp.url, MAIL_FROM: 'Gatehouse <gate@example.com>', PUBLIC_URL: 'http://127.0.0.1:1' });
  });
  after(async () => {
    await server.stop();
    await smtp.stop();
  });

  it('mails a code that sets a new password, signs in, and kills older sessions', async () => {
    const email = uniqueEmail('reset');
    const signup = await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD, display_name: 'Rita' } });
    assert.equal(signup.status, 201);
    const oldCookie = `__Secure-accounts-session=${signup.cookies['__Secure-accounts-session']?.value}`;
    assert.equal((await request(server.url, '/api/sessions', { cookie: oldCookie })).status, 200);

    const asked = await request(server.url, '/api/password_reset', { method: 'POST', json: { email } });
    assert.equal(asked.status, 200);
    const mail = await smtp.waitFor(email);
    assert.match(mail.text, /reset code is/);
    assert.match(mail.text, /http:\/\/127\.0\.0\.1:1\/reset-password\//);
    const code = resetCodeIn(mail);
    assert.ok(code.length >= 8);

    const newPassword = 'harbor-violet-93-engine';
    const done = await request(server.url, `/api/password_reset/${code}`, { method: 'POST', json: { password: newPassword } });
    assert.equal(done.status, 200, done.text);
    const fresh = done.cookies['__Secure-accounts-session'];
    assert.ok(fresh && fresh.value.length > 0);
    assert.equal((await request(server.url, '/api/sessions', { cookie: `__Secure-accounts-session=${fresh.value}` })).status, 200);
    assert.equal((await request(server.url, '/api/sessions', { cookie: oldCookie })).status, 403, 'older session revoked');
    assert.equal((await request(server.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] })).status, 403);
    assert.equal((await request(server.url, '/api/v9/me', { auth: [email, newPassword] })).status, 200);

    const again = await request(server.url, `/api/password_reset/${code}`, { method: 'POST', json: { password: 'another-valid-pass-77' } });
    assert.equal(again.status, 400, 'codes are single use');
  });

  it('answers the same for an unknown email and sends nothing', async () => {
    const known = uniqueEmail('known');
    const nobody = uniqueEmail('nobody');
    await request(server.url, '/api/signup', { method: 'POST', json: { email: known, password: GOOD_PASSWORD } });
    const b = await request(server.url, '/api/password_reset', { method: 'POST', json: { email: nobody } });
    const a = await request(server.url, '/api/password_reset', { method: 'POST', json: { email: known } });
    assert.equal(a.status, b.status);
    assert.equal(a.text, b.text);
    assert.deepEqual([...a.headers.keys()].sort(), [...b.headers.keys()].sort(), 'the same headers');
    // The outbox works in order: once the later request's mail has arrived, the earlier one was decided.
    await smtp.waitFor(known);
    assert.deepEqual(smtp.mails.filter((m) => m.to.includes(nobody)), [], 'no mail to the unknown email');
  });
});
