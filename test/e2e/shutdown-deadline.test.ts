// A stop has a deadline (SHUTDOWN_TIMEOUT_SECONDS) and logging never blocks it (security.md, "Process"):
//   - a server whose stdout pipe is full and never read, under load, exits on SIGTERM within the deadline
//     plus a second, and every signup it acknowledged is in the database afterwards;
//   - a drain that would take longer than the deadline (a client holding a half-sent body) is cut off at it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { Agent, request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { emailKey } from '../../src/core/validate.js';
import { openStore } from '../../src/server.js';
import { deployment, killAllServers, MAIN, serverEnv, startServerProcess, type Deployment } from '../helpers/process.js';
import { BACKEND, GOOD_PASSWORD, uniqueEmail } from '../helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Stuck {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/**
 * Starts a server whose stdout is read only until the "listening on" line and then never again: the
 * pipe fills up with log lines as soon as there is traffic. stderr is drained (it carries nothing here).
 */
async function startStuck(d: Deployment, env: Record<string, string>): Promise<Stuck> {
  const child = spawn(process.execPath, [MAIN], {
    env: serverEnv(d, { LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  child.stderr?.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString('utf8');
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout?.off('data', onData);
        // From here on nobody reads stdout: Node stops reading once its small buffer is full, then the pipe fills.
        child.stdout?.pause();
        resolve(m[1] as string);
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((e) => reject(new Error(`server exited before listening (${e.code}): ${out}`)));
    setTimeout(() => reject(new Error(`server did not listen: ${out}`)), 20000).unref();
  });
  return { child, url, exited };
}

function call(agent: Agent, url: string, method: string, p: string, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest(url + p, { agent, method, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

describe(`stopping has a deadline, whatever stdout does (${BACKEND})`, () => {
  let d: Deployment;
  before(() => {
    d = deployment({ HASH_CONCURRENCY: '1', HASH_QUEUE: '500' });
  });
  after(async () => {
    await killAllServers();
    d.remove();
  });

  it('with its stdout pipe full and never read, under load, exits on SIGTERM within SHUTDOWN_TIMEOUT_SECONDS + 1 s; acknowledged signups are stored', async () => {
    const DEADLINE_S = 5;
    const server = await startStuck(d, { SHUTDOWN_TIMEOUT_SECONDS: String(DEADLINE_S) });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const acked: string[] = [];
    let stop = false;
    let served = 0;
    // Log traffic: two info lines per request, far more than a pipe (64 KiB) and Node's read buffer hold.
    const flood = Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 5000 && !stop; i++) if ((await call(agent, server.url, 'GET', '/health')) === 200) served++;
    });
    const writers = Array.from({ length: 2 }, async () => {
      for (let i = 0; i < 200 && !stop; i++) {
        const email = uniqueEmail('stuck');
        if ((await call(agent, server.url, 'POST', '/api/signup', JSON.stringify({ email, password: GOOD_PASSWORD }))) === 201) acked.push(email);
      }
    });
    const t0 = Date.now();
    while ((served < 3000 || acked.length < 5) && Date.now() - t0 < 60000) await sleep(100);
    assert.ok(served >= 3000, `enough log traffic to fill the pipe (${served} requests)`);

    const sent = Date.now();
    server.child.kill('SIGTERM');
    const exit = await Promise.race([server.exited, sleep((DEADLINE_S + 10) * 1000).then(() => undefined)]);
    stop = true;
    await Promise.all([...flood, ...writers]);
    agent.destroy();
    if (!exit) server.child.kill('SIGKILL');
    assert.ok(exit, `the server had not exited ${DEADLINE_S + 10} s after SIGTERM`);
    const took = exit.at - sent;
    console.log(`stuck stdout (${BACKEND}): ${served} requests logged, ${acked.length} signups acknowledged; exit ${exit.code ?? exit.signal} ${took} ms after SIGTERM (deadline ${DEADLINE_S} s)`);
    assert.ok(took <= (DEADLINE_S + 1) * 1000, `exited ${took} ms after SIGTERM, deadline ${DEADLINE_S} s + 1 s`);
    assert.equal(exit.signal, null, 'exited by itself, not by a signal');

    // Everything acknowledged before the exit is in the database (read through the store, as a restarted
    // server would: no password hashing needed to look).
    const store = await openStore(loadConfig({ DATA_DIR: d.dataDir, DATABASE_URL: d.databaseUrl, GATEHOUSE_SECRET: d.secret }, d.dataDir));
    try {
      const missing: string[] = [];
      for (const email of acked) if (!(await store.accountByEmailKey(emailKey(email)))) missing.push(email);
      assert.deepEqual(missing, [], 'every acknowledged signup is stored');
    } finally {
      await store.close();
    }
  });

  it('a drain longer than the deadline (a half-sent body) is cut off at SHUTDOWN_TIMEOUT_SECONDS: exit 1 within it + 1 s', async () => {
    const DEADLINE_S = 2;
    const server = await startServerProcess(d, { SHUTDOWN_TIMEOUT_SECONDS: String(DEADLINE_S), REQUEST_TIMEOUT_SECONDS: '120' });
    const { port } = new URL(server.url);
    const s = connect({ host: '127.0.0.1', port: Number(port) });
    s.on('error', () => undefined);
    await new Promise<void>((r) => s.once('connect', () => r()));
    // Headers complete, body promised but never sent: the request is in flight until REQUEST_TIMEOUT_SECONDS.
    s.write(`POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":`);
    await sleep(200);
    const t0 = Date.now();
    const exit = await server.kill('SIGTERM', 15000);
    const took = Date.now() - t0;
    s.destroy();
    console.log(`half-sent body (${BACKEND}): exit ${exit.code ?? exit.signal} ${took} ms after SIGTERM (deadline ${DEADLINE_S} s)`);
    assert.deepEqual(exit, { code: 1, signal: null }, `forced exit, by itself:\n${server.output()}`);
    assert.ok(took >= DEADLINE_S * 1000 - 200, `waited for the deadline (${took} ms)`);
    assert.ok(took <= (DEADLINE_S + 1) * 1000, `exited ${took} ms after SIGTERM`);
  });
});
