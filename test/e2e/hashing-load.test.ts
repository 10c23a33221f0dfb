// Password hashing is bounded: beyond HASH_CONCURRENCY running and HASH_QUEUE waiting, password requests
// get 503 with Retry-After, while token-authenticated requests keep being served (their latency under a
// storm is measured by `npm run bench`, not here). A burst of Basic requests with one email:password costs one
// verify, so a client's opening burst is not shed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';

describe('hashing under load', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ HASH_CONCURRENCY: '1', HASH_QUEUE: '2', LOGIN_MAX_FAILURES: '1000' });
  });
  after(async () => {
    await server.stop();
  });

  it('sheds password checks past the queue with 503 + Retry-After and keeps serving token requests', async () => {
    const email = uniqueEmail('load');
    const signup = await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    assert.equal(signup.status, 201);
    const cookie = `__Secure-accounts-session=${signup.cookies['__Secure-accounts-session']?.value}`;
    const token = ((await request(server.url, '/api/v9/me', { cookie })).json as { api_token: string }).api_token;

    const storm = Array.from({ length: 24 }, (_, i) =>
      request(server.url, '/api/sessions', { method: 'POST', json: { email: uniqueEmail(`storm${i}`), password: 'wrong-password-x' } }),
    );
    const tokenAnswers = await Promise.all(Array.from({ length: 5 }, () => request(server.url, '/api/v9/me', { auth: [token, 'api_token'] })));
    const answers = await Promise.all(storm);

    for (const t of tokenAnswers) assert.equal(t.status, 200);
    const shed = answers.filter((a) => a.status === 503);
    const checked = answers.filter((a) => a.status === 403);
    assert.ok(shed.length > 0, `some requests shed (statuses: ${answers.map((a) => a.status).join(',')})`);
    assert.ok(checked.length >= 1, 'the ones that got a slot were checked');
    assert.equal(shed.length + checked.length, answers.length, 'nothing but 403 or 503');
    for (const s of shed) {
      assert.equal(s.headers.get('retry-after'), '1');
      assert.equal(typeof s.json, 'string');
    }
  });

  it('answers a burst of Basic requests with one new email:password with one verify: none is shed', async () => {
    const email = uniqueEmail('burst');
    assert.equal((await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } })).status, 201);
    // One hash may run and two wait (HASH_CONCURRENCY=1, HASH_QUEUE=2): 24 verifies at once would shed 21.
    const burst = await Promise.all(Array.from({ length: 24 }, () => request(server.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] })));
    assert.deepEqual(
      burst.map((a) => a.status),
      burst.map(() => 200),
    );
    for (const a of burst) assert.equal((a.json as { email: string }).email, email);
    // A wrong password in the same burst shape is still checked request by request (shed past the queue).
    const wrong = await Promise.all(Array.from({ length: 24 }, () => request(server.url, '/api/v9/me', { auth: [email, `${GOOD_PASSWORD}-wrong`] })));
    assert.ok(wrong.some((a) => a.status === 503), `statuses: ${wrong.map((a) => a.status).join(',')}`);
    assert.ok(wrong.every((a) => a.status === 403 || a.status === 503));
  });
});
