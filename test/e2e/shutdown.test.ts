// Graceful shutdown (issue 4, crash safety): on SIGTERM the server process stops accepting connections,
// lets the requests already in flight finish with their normal answers, closes the store and exits 0 within
// a few seconds, also when clients hold idle keep-alive connections or a half-sent request.
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { basic } from '../helpers/http.js';
import { deployment, killAllServers, startServerProcess, type Deployment } from '../helpers/process.js';
import { BACKEND, GOOD_PASSWORD, uniqueEmail } from '../helpers/server.js';

const EXIT_WITHIN_MS = 5000;
const DRAIN_DEADLINE_S = 120;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 'refused' when a new TCP connection to the URL's port is refused, 'accepted' when it is taken. */
function tryConnect(url: string): Promise<'refused' | 'accepted'> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: hostname, port: Number(port) });
    s.once('connect', () => {
      s.destroy();
      resolve('accepted');
    });
    s.once('error', () => resolve('refused'));
  });
}

/** A raw keep-alive connection that sends one request and stays open afterwards (as browsers and pools do). */
function openRawConnection(url: string, request: string): Promise<{ firstAnswer: Promise<string>; closed: Promise<void> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: hostname, port: Number(port) });
    let data = '';
    const firstAnswer = new Promise<string>((res) => s.on('data', (c: Buffer) => ((data += c.toString('utf8')), res(data))));
    const closed = new Promise<void>((res) => s.once('close', () => res()));
    s.once('connect', () => {
      if (request !== '') s.write(request);
      resolve({ firstAnswer, closed });
    });
    s.once('error', reject);
    s.on('error', () => undefined);
  });
}

interface Answer {
  status: number;
  text: string;
  cookies: string[];
}

/** One request on a node:http agent; a failure at the socket is an answer with status 0 (never a rejection). */
function call(agent: Agent, url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = httpRequest(url + path, { agent, method, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, cookies: res.headers['set-cookie'] ?? [] }));
      res.on('error', (err) => resolve({ status: 0, text: String(err), cookies: [] }));
    });
    req.on('error', (err) => resolve({ status: 0, text: String(err), cookies: [] }));
    req.end(body);
  });
}

async function signup(url: string, email: string): Promise<void> {
  const res = await fetch(`${url}/api/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: GOOD_PASSWORD }) });
  assert.equal(res.status, 201, await res.text());
}

describe(`graceful shutdown on SIGTERM (${BACKEND})`, () => {
  let d: Deployment;
  before(() => {
    // One hashing thread: password logins queue up behind each other, so many stay in flight for a while.
    // The drain is what is tested here, not the deadline (shutdown-deadline.test.ts): a slow machine may take
    // longer than the default 10 s to finish the queued hashing.
    d = deployment({ HASH_CONCURRENCY: '1', HASH_QUEUE: '200', SHUTDOWN_TIMEOUT_SECONDS: String(DRAIN_DEADLINE_S) });
  });
  after(async () => {
    await killAllServers();
    d.remove();
  });

  it('finishes the password logins in flight with their normal answers, refuses new connections, exits 0', async () => {
    const server = await startServerProcess(d);
    const email = uniqueEmail('shutdown');
    await signup(server.url, email);
    const LOGINS = 16;
    // The Basic logins each name an account of their own: concurrent requests with one email:password share
    // one verify (README, "Lockout is in memory too"), and each of these must wait for its own.
    const basicEmails = Array.from({ length: LOGINS / 2 }, (_, k) => uniqueEmail(`shutdown-basic${k}`));
    await Promise.all(basicEmails.map((e) => signup(server.url, e)));
    const basicEmail = (i: number) => basicEmails[(i - 1) / 2] as string;

    // The logins travel on connections the server has already accepted and served (a GET /health each):
    // a request still in the kernel's accept queue at SIGTERM was never in flight, and is reset, as on
    // any server. A loaded test machine can take a while to open two dozen connections.
    const sessionCookies: string[] = [];
    const agent = new Agent({ keepAlive: true, maxSockets: LOGINS });
    try {
      const warm = await Promise.all(Array.from({ length: LOGINS }, () => call(agent, server.url, 'GET', '/health')));
      assert.ok(warm.every((r) => r.status === 200));
      assert.equal(Object.values(agent.freeSockets).flat().length, LOGINS, 'one open keep-alive connection per login');

      let done = 0;
      let t0 = Date.now();
      const logins = Array.from({ length: LOGINS }, async (_, i) => {
        // Half through the accounts route (a new session), half Basic on v9 and v8. All arrive before any has
        // verified, so none is answered from the verified-credential cache: each waits for a full verify.
        const r =
          i % 2 === 0
            ? await call(agent, server.url, 'POST', '/api/sessions', {}, JSON.stringify({ email, password: GOOD_PASSWORD }))
            : await call(agent, server.url, 'GET', `/api/${i % 4 === 1 ? 'v9' : 'v8'}/me`, { authorization: basic(basicEmail(i), GOOD_PASSWORD) });
        done++;
        return { i, ...r, at: Date.now() - t0 };
      });
      // Let every request reach the server and queue for the hashing thread.
      await sleep(150);
      assert.ok(done < LOGINS / 2, `most logins are still in flight when SIGTERM is sent (${done} done already)`);

      t0 = Date.now();
      server.child.kill('SIGTERM');
      // The listening socket closes at once: a new connection is refused while the old requests still run.
      let refusedAt: number | undefined;
      while (Date.now() - t0 < 2000) {
        if ((await tryConnect(server.url)) === 'refused') {
          refusedAt = Date.now() - t0;
          break;
        }
        await sleep(10);
      }
      const doneWhenRefused = done;
      assert.ok(refusedAt !== undefined, 'new connections are refused after SIGTERM');
      const results = await Promise.all(logins);
      // A second SIGTERM is ignored by a stopping server; SIGKILL follows if it has not exited in 10 s.
      const exit = await server.kill('SIGTERM', 10000);
      const exitedAfter = Date.now() - t0;
      console.log(
        `shutdown (${BACKEND}): new connections refused ${refusedAt} ms after SIGTERM with ${LOGINS - doneWhenRefused}/${LOGINS} logins still in flight; ` +
          `the last answered ${Math.max(...results.map((r) => r.at))} ms after SIGTERM; exit ${exit.code} after ${exitedAfter} ms`,
      );
      const failed = results.filter((r) => r.status !== 200).map((r) => `login ${r.i}: ${r.status} ${r.text} (at ${r.at} ms)`);
      assert.deepEqual(failed, [], `every login in flight at SIGTERM got its normal answer; server output:\n${server.output()}`);
      assert.ok(doneWhenRefused < LOGINS, 'connections were refused while requests were still being served (not merely after the exit)');
      for (const r of results) {
        if (r.i % 2 === 0) {
          const c = r.cookies.find((x) => x.startsWith('__Secure-accounts-session='));
          assert.ok(c, `login ${r.i} got its session cookie`);
          sessionCookies.push(c);
        } else assert.ok(r.text.includes(basicEmail(r.i)), `login ${r.i} got the user`);
      }
      assert.deepEqual(exit, { code: 0, signal: null }, `exit status:\n${server.output()}`);
      // The drain takes as long as the queued hashing; the exit must follow the last answer closely.
      const lastAnswer = Math.max(...results.map((r) => r.at));
      assert.ok(exitedAfter - lastAnswer < 2000, `exited ${exitedAfter - lastAnswer} ms after the last in-flight answer`);
      // The drain itself lasts as long as 16 queued Argon2 hashes on one thread (over 10 s on a loaded 2-core
      // machine); it is bounded by SHUTDOWN_TIMEOUT_SECONDS (shutdown-deadline.test.ts tests the deadline).
      assert.ok(exitedAfter < DRAIN_DEADLINE_S * 1000, `exited ${exitedAfter} ms after SIGTERM`);
    } finally {
      agent.destroy();
    }

    // What the in-flight logins wrote was committed: every session cookie they were answered with works on
    // a restarted server (the sessions are in the database), and the account logs in.
    const again = await startServerProcess(d);
    const cookies = sessionCookies.map((c) => c.split(';')[0] as string);
    assert.equal(cookies.length, LOGINS / 2, 'one session cookie per accounts login in flight');
    for (const c of cookies) {
      const replay = await fetch(`${again.url}/api/v9/me`, { headers: { cookie: c } });
      const body = await replay.text();
      assert.equal(replay.status, 200, `a session opened during the drain works after the restart: ${body}`);
      assert.ok(body.includes(email));
    }
    const me = await fetch(`${again.url}/api/v9/me`, { headers: { authorization: basic(email, GOOD_PASSWORD) } });
    assert.equal(me.status, 200);
    await me.arrayBuffer();
    assert.deepEqual(await again.kill('SIGTERM'), { code: 0, signal: null });
  });

  it('exits promptly although clients hold idle keep-alive connections and a half-sent request', async () => {
    const server = await startServerProcess(d);
    const { port } = new URL(server.url);
    // An idle keep-alive connection after one answered request, and one that never finishes its headers.
    const idle = await openRawConnection(server.url, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`);
    assert.match(await idle.firstAnswer, /^HTTP\/1\.1 200/);
    const partial = await openRawConnection(server.url, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
    await sleep(50);

    const t0 = Date.now();
    const exit = await server.kill('SIGTERM', 15000);
    const exitedAfter = Date.now() - t0;
    console.log(`shutdown (${BACKEND}) with an idle keep-alive and a half-sent request: exit ${exit.code ?? exit.signal} after ${exitedAfter} ms`);
    assert.deepEqual(exit, { code: 0, signal: null }, `exit status:\n${server.output()}`);
    assert.ok(exitedAfter < EXIT_WITHIN_MS, `exited ${exitedAfter} ms after SIGTERM`);
    await idle.closed;
    await partial.closed;
  });
});
