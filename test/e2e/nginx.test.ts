// Several instances behind a real reverse proxy: three Gatehouse processes on one PostgreSQL behind nginx
// (TLS, the configuration shipped in docs/nginx/instances.conf with its ports and paths templated), with
// TRUSTED_PROXIES=loopback. A login through the proxy is accepted by all three; the lockout counts across
// them; a logout holds on all three within a second; a rolling restart (drain through readiness, stop,
// start, next) under steady load fails no request. PostgreSQL only (SQLite is one process's file).
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { basic, request } from '../helpers/http.js';
import { scrape, value } from '../helpers/metrics.js';
import { deployment, killAllServers, startServerProcess, type Deployment, type ServerProcess } from '../helpers/process.js';
import { BACKEND, GOOD_PASSWORD, uniqueEmail } from '../helpers/server.js';
import { freePort } from '../helpers/ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


interface Answer {
  status: number;
  text: string;
  cookies: string[];
}

describe(`three instances behind nginx (${BACKEND})`, { skip: BACKEND !== 'postgres' ? 'PostgreSQL only' : !NGINX ? 'nginx is not installed' : false }, () => {
  let d: Deployment;
  let dir: string;
  let nginx: ChildProcess | undefined;
  let nginxOut = '';
  let agent: https.Agent;
  /** Without keep-alive: a request sent again never reuses a pooled connection. */
  let freshAgent: https.Agent;
  let proxyPort: number;
  let redirectPort = 0;
  const ports: number[] = [];
  const instances: ServerProcess[] = [];
  const down = new Set<number>();

  const mgmtOf = (p: ServerProcess) => (/"management_url":"(http:\/\/[^"]+)"/.exec(p.stdout()) as RegExpExecArray)[1] as string;

  /** docs/nginx/instances.conf with this test's ports, certificate and down markers. */
  function writeConfig(): void {
    let conf = readFileSync(path.join(ROOT, 'docs', 'nginx', 'instances.conf'), 'utf8');
    const shipped = ['8081', '8082', '8083'];
    shipped.forEach((p, i) => {
      conf = conf.replace(`server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`, `server 127.0.0.1:${ports[i]} max_fails=1 fail_timeout=5s${down.has(i) ? ' down' : ''};`);
    });
    assert.ok(!shipped.some((p) => conf.includes(`:${p} `)), 'every upstream line was templated');
    conf = conf
      .replace('listen 443 ssl http2;', `listen 127.0.0.1:${proxyPort} ssl http2;`)
      .replace('listen 80;', `listen 127.0.0.1:${redirectPort};`)
      .replace('/etc/ssl/gatehouse/fullchain.pem', path.join(dir, 'cert.pem'))
      .replace('/etc/ssl/gatehouse/privkey.pem', path.join(dir, 'key.pem'));
    writeFileSync(path.join(dir, 'gatehouse.conf'), conf);
  }

  function nginxArgs(extra: string[] = []): string[] {
    return ['-p', dir, '-c', path.join(dir, 'nginx.conf'), ...extra];
  }

  async function reload(): Promise<void> {
    writeConfig();
    execFileSync(NGINX as string, nginxArgs(['-s', 'reload']));
    // The new workers take over; the old ones finish their requests and leave.
    await sleep(1000);
  }

  let retriedOnStaleConnection = 0;
  /**
   * One HTTPS request through nginx. Like browsers and most HTTP clients, a request that failed on a reused
   * keep-alive connection the other end had just closed (nginx's old workers close idle connections on a
   * reload) is sent again once: it never reached a server (Node's documented `reusedSocket` pattern).
   * A GET is also sent again after a hang-up on a fresh connection: an old nginx worker that accepted the
   * connection just before a reload closes it unread (seen once in a CI run). Only connection-level errors
   * are retried, and only once; every HTTP answer counts as it is.
   */
  async function call(method: string, p: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
    const first = await callOnce(method, p, headers, body);
    if (first.status === 0 && (first.reused || method === 'GET') && /socket hang up|ECONNRESET/.test(first.text)) {
      retriedOnStaleConnection++;
      // On a new connection: the pool's other idle connections may belong to the same old worker.
      return callOnce(method, p, headers, body, freshAgent);
    }
    return first;
  }

  function callOnce(method: string, p: string, headers: Record<string, string> = {}, body?: string, via: https.Agent = agent): Promise<Answer & { reused: boolean }> {
    return new Promise((resolve) => {
      const req = https.request({ host: '127.0.0.1', port: proxyPort, method, path: p, agent: via, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, cookies: res.headers['set-cookie'] ?? [], reused: false }));
        res.on('error', (err) => resolve({ status: 0, text: String(err), cookies: [], reused: false }));
      });
      req.setTimeout(20000, () => req.destroy(new Error('timeout')));
      req.on('error', (err) => resolve({ status: 0, text: String(err), cookies: [], reused: req.reusedSocket }));
      req.end(body);
    });
  }

  async function startInstance(i: number): Promise<ServerProcess> {
    const env: Record<string, string> = { MANAGEMENT_PORT: '0', LOG_LEVEL: 'warn' };
    if (ports[i] !== undefined) env.PORT = String(ports[i]);
    const p = await startServerProcess(d, env, 60000);
    ports[i] = Number(new URL(p.url).port);
    instances[i] = p;
    return p;
  }

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-nginx-'));
    proxyPort = await freePort();
    redirectPort = await freePort();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    agent = new https.Agent({ ca: readFileSync(path.join(dir, 'cert.pem')), keepAlive: true, maxSockets: 8 });
    freshAgent = new https.Agent({ ca: readFileSync(path.join(dir, 'cert.pem')), keepAlive: false });
    d = deployment({
      TRUSTED_PROXIES: 'loopback',
      PUBLIC_URL: `https://127.0.0.1:${proxyPort}`,
      LOGIN_MAX_FAILURES: '3',
      // Readiness goes 503 at SIGTERM and the instance keeps serving this long, while it is taken out of nginx.
      SHUTDOWN_DRAIN_SECONDS: '3',
      // Real per-address limits: behind the proxy the client address comes from X-Forwarded-For.
      LOGIN_ADDRESS_MAX_FAILURES: '100',
    });
    for (let i = 0; i < 3; i++) await startInstance(i);
    mkdirSync(path.join(dir, 'logs'), { recursive: true });
    writeFileSync(
      path.join(dir, 'nginx.conf'),
      `user root;
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'logs', 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log ${path.join(dir, 'logs', 'access.log')};
  client_body_temp_path ${path.join(dir, 'client_body')};
  proxy_temp_path ${path.join(dir, 'proxy')};
  fastcgi_temp_path ${path.join(dir, 'fastcgi')};
  uwsgi_temp_path ${path.join(dir, 'uwsgi')};
  scgi_temp_path ${path.join(dir, 'scgi')};
  include ${path.join(dir, 'gatehouse.conf')};
}
`,
    );
    writeConfig();
    nginx = spawn(NGINX as string, nginxArgs(['-g', 'daemon off;']), { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stdout?.on('data', (c: Buffer) => (nginxOut += c.toString()));
    nginx.stderr?.on('data', (c: Buffer) => (nginxOut += c.toString()));
    for (let i = 0; i < 100; i++) {
      if ((await call('GET', '/health')).status === 200) return;
      await sleep(100);
    }
    throw new Error(`nginx did not come up: ${nginxOut}`);
  });

  after(async () => {
    agent?.destroy();
    freshAgent?.destroy();
    if (nginx && nginx.exitCode === null) {
      nginx.kill('SIGQUIT');
      await new Promise((r) => nginx?.once('exit', r));
    }
    await killAllServers();
    d?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a login through the proxy is accepted by all three, and answers carry the client address from nginx', async () => {
    const email = uniqueEmail('nginx');
    assert.equal((await call('POST', '/api/signup', {}, JSON.stringify({ email, password: GOOD_PASSWORD }))).status, 201);
    const before = await Promise.all(instances.map((p) => scrape(mgmtOf(p))));
    for (let i = 0; i < 6; i++) {
      const r = await call('POST', '/api/sessions', {}, JSON.stringify({ email, password: GOOD_PASSWORD }));
      assert.equal(r.status, 200, r.text);
      const cookie = (r.cookies[0] as string).split(';')[0] as string;
      // The session works on every instance, directly.
      for (const p of instances) assert.equal((await request(p.url, '/api/v9/me', { cookie })).status, 200);
    }
    const now = await Promise.all(instances.map((p) => scrape(mgmtOf(p))));
    const handled = now.map((s, i) => value(s, 'gatehouse_auth_total', { method: 'password', outcome: 'ok' }) - value(before[i] as typeof s, 'gatehouse_auth_total', { method: 'password', outcome: 'ok' }));
    assert.ok(handled.every((n) => n >= 1), `each instance accepted logins through the proxy: ${handled.join(', ')}`);
  });

  it('the lockout counts across the three', async () => {
    const email = uniqueEmail('nginx-lock');
    assert.equal((await call('POST', '/api/signup', {}, JSON.stringify({ email, password: GOOD_PASSWORD }))).status, 201);
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call('GET', '/api/v9/me', { authorization: basic(email, `wrong-password-${i}-zebra`) });
      assert.equal(r.status, 403);
      remaining.push(r.text);
    }
    // Three failures spread over the instances lock the email on all of them, even for the right password.
    for (const p of instances) assert.equal((await request(p.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] })).status, 429);
    assert.equal((await call('GET', '/api/v9/me', { authorization: basic(email, GOOD_PASSWORD) })).status, 429);
  });

  it('a logout through the proxy holds on all three within one second', async () => {
    const email = uniqueEmail('nginx-logout');
    assert.equal((await call('POST', '/api/signup', {}, JSON.stringify({ email, password: GOOD_PASSWORD }))).status, 201);
    const login = await call('POST', '/api/sessions', {}, JSON.stringify({ email, password: GOOD_PASSWORD }));
    const cookie = (login.cookies[0] as string).split(';')[0] as string;
    assert.equal((await call('DELETE', '/api/sessions', { cookie })).status, 200);
    const t0 = Date.now();
    const dead = new Set<number>();
    while (dead.size < 3 && Date.now() - t0 < 1000) {
      for (const [i, p] of instances.entries()) if ((await request(p.url, '/api/v9/me', { cookie })).status === 403) dead.add(i);
    }
    const staleness = Date.now() - t0;
    assert.equal(dead.size, 3, `the session died on all three within 1 s (${staleness} ms)`);
    console.log(`nginx: logout seen by all three instances within ${staleness} ms of the answer`);
  });

  it('a rolling restart under steady load fails no request', async () => {
    const email = uniqueEmail('nginx-roll');
    assert.equal((await call('POST', '/api/signup', {}, JSON.stringify({ email, password: GOOD_PASSWORD }))).status, 201);
    const me = await call('GET', '/api/v9/me', { authorization: basic(email, GOOD_PASSWORD) });
    const token = (JSON.parse(me.text) as { api_token: string }).api_token;
    let stop = false;
    let sent = 0;
    const failures: string[] = [];
    const deadline = Date.now() + 240_000;
    const worker = async () => {
      for (let i = 0; !stop && i < 5000 && Date.now() < deadline; i++) {
        const r = await call('GET', i % 2 === 0 ? '/api/v9/me' : '/api/v8/me', { authorization: basic(token, 'api_token') });
        sent++;
        if (r.status !== 200) failures.push(`${r.status} ${r.text.slice(0, 100)}`);
        await sleep(20);
      }
    };
    const load = [worker(), worker(), worker()];
    for (let i = 0; i < 3; i++) {
      const old = instances[i] as ServerProcess;
      const mgmt = mgmtOf(old);
      assert.equal((await request(mgmt, '/health/ready')).status, 200);
      old.child.kill('SIGTERM');
      // Drain: readiness says 503 at once; the orchestrator (this test) takes it out of nginx.
      let ready = 200;
      for (let t = 0; t < 40 && ready === 200; t++) {
        ready = (await request(mgmt, '/health/ready').catch(() => ({ status: 0 }))).status;
        if (ready === 200) await sleep(25);
      }
      assert.equal(ready, 503, 'readiness is 503 while the instance drains');
      down.add(i);
      await reload();
      const exit = await old.exited;
      assert.equal(exit.code, 0);
      const fresh = await startInstance(i);
      for (let t = 0; t < 100 && (await request(mgmtOf(fresh), '/health/ready')).status !== 200; t++) await sleep(100);
      assert.equal((await request(mgmtOf(fresh), '/health/ready')).status, 200);
      down.delete(i);
      await reload();
    }
    stop = true;
    await Promise.all(load);
    console.log(`nginx: rolling restart of 3 instances under load: ${sent} requests, ${failures.length} failed (${retriedOnStaleConnection} sent again after nginx closed the connection unanswered on a reload)`);
    assert.ok(sent > 100, `steady load ran (${sent} requests)`);
    assert.deepEqual(failures, [], `no failed request; nginx said:\n${nginxOut}`);
  });
});
