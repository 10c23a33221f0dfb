// A stored hash weaker than today's parameters is replaced after the next good login; a hash that asks
// for out-of-bounds work never verifies.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import argon2 from 'argon2';
import { request } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';

describe('password re-hash on login', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  async function accountWithHash(hash: string): Promise<{ email: string; id: number }> {
    const email = uniqueEmail('rehash');
    const signup = await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    assert.equal(signup.status, 201);
    const id = (signup.json as { id: number }).id;
    await server.core.store.updateAccount(id, { password_hash: hash });
    return { email, id };
  }

  it('upgrades a weak Argon2 hash to Argon2id m=19456,t=2,p=1 after a successful login', async () => {
    const weak = await argon2.hash(GOOD_PASSWORD, { type: argon2.argon2i, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    const { email, id } = await accountWithHash(weak);
    const res = await request(server.url, '/api/sessions', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    assert.equal(res.status, 200);
    const stored = (await server.core.store.accountById(id))?.password_hash ?? '';
    assert.notEqual(stored, weak);
    assert.match(stored, /^\$argon2id\$v=19\$/);
    assert.match(stored, /m=19456/);
    assert.match(stored, /t=2/);
    assert.equal((await request(server.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] })).status, 200);
  });

  it('refuses a stored hash whose parameters ask for too much memory, without hashing with them', async () => {
    const greedy = '$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
    const { email } = await accountWithHash(greedy);
    const started = Date.now();
    const res = await request(server.url, '/api/sessions', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
    assert.equal(res.status, 403);
    assert.ok(Date.now() - started < 5000, 'answered without a 4 GiB hash');
  });
});
