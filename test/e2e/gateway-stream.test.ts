// The built-in proxy streams bodies both ways: a 50 MB upload and a 50 MB download through a Gatehouse
// server process (GATEWAY_UPSTREAM) raise that process's resident memory by less than 30 MB. The RSS is
// sampled from /proc every 10 ms during each transfer; the figures are printed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startUpstream, type Upstream } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';
import { deployment, killAllServers, startServerProcess, type Deployment, type ServerProcess } from '../helpers/process.js';
import { GOOD_PASSWORD, uniqueEmail } from '../helpers/server.js';

const SIZE = 50 * 1024 * 1024;
const BOUND = 30 * 1024 * 1024;
const linux = process.platform === 'linux' ? false : 'reads the RSS from /proc (Linux only)';

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS in /proc/<pid>/status');
  return Number(m[1]) * 1024;
}

/** Runs `transfer` while sampling the server's RSS; returns the highest rise over the RSS just before. */
async function peakRise(pid: number, transfer: () => Promise<void>): Promise<{ before: number; peak: number }> {
  const before = rss(pid);
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rss(pid))), 10);
  try {
    await transfer();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, rss(pid));
  return { before, peak };
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

describe('built-in proxy streaming', { skip: linux }, () => {
  let upstream: Upstream;
  let d: Deployment;
  let server: ServerProcess;
  let auth: string;

  before(async () => {
    upstream = await startUpstream();
    d = deployment({ GATEWAY_UPSTREAM: upstream.url });
    server = await startServerProcess(d, { LOG_LEVEL: 'info' });
    const email = uniqueEmail('gw-stream');
    assert.equal((await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } })).status, 201);
    const me = await request(server.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] });
    auth = 'Basic ' + Buffer.from(`${(me.json as { api_token: string }).api_token}:api_token`).toString('base64');
    // Warm up the proxy path (connection pool, JIT, and the allocator's working set: a cold process first
    // grows by the garbage V8 lets pile up before it collects, about 40 MB here whatever the body's size,
    // 50 MB or 150 MB, i.e. not the body) with 16 MB each way.
    for (let i = 0; i < 2; i++) {
      await (await fetch(`${server.url}/api/v9/download/${16 * 1024 * 1024}`, { headers: { authorization: auth } })).arrayBuffer();
      await (await fetch(`${server.url}/api/v9/upload`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(16 * 1024 * 1024) })).arrayBuffer();
    }
  });
  after(async () => {
    await server?.kill('SIGTERM');
    await killAllServers();
    d?.remove();
    await upstream?.close();
  });

  it('each gateway decision is on its request\'s one log line at info with its rule, and no credential is logged', async () => {
    const token = Buffer.from(auth.slice('Basic '.length), 'base64').toString('utf8').split(':')[0] as string;
    assert.equal((await fetch(`${server.url}/api/v9/me/projects`, { headers: { authorization: auth } })).status, 200);
    assert.equal((await fetch(`${server.url}/api/v1/admin/1/bookings`, { headers: { 'app-id': '0123456789abcdef', 'app-key': 'secret-app-key-123', 'auth-token': 'secret-auth-token-456' } })).status, 401);
    await new Promise((r) => setTimeout(r, 200));
    const lines = server.output().split('\n').filter((l) => l.includes('"gateway_mode"'));
    const decisions = lines.map((l) => JSON.parse(l) as { rule?: string; allowed?: boolean; level?: number; request_id?: string; msg?: string; status?: number });
    assert.ok(decisions.some((d) => d.rule === 'toggl-v9' && d.allowed === true && d.level === 30 && d.request_id !== undefined && d.msg === 'request' && d.status === 200), lines.join('\n'));
    assert.ok(decisions.some((d) => d.rule === 'bookingbug-admin' && d.allowed === false && d.status === 401), lines.join('\n'));
    for (const secret of [token, 'secret-app-key-123', 'secret-auth-token-456', auth.slice('Basic '.length)]) assert.ok(!server.output().includes(secret), 'no credential in the log');
  });

  it(`a 50 MB upload reaches the upstream whole with the server's RSS rising < ${mb(BOUND)}`, async () => {
    let answer: { body_bytes?: number } = {};
    const { before, peak } = await peakRise(server.pid, async () => {
      let sent = 0;
      const chunk = Buffer.alloc(64 * 1024, 97);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= SIZE) return controller.close();
          const piece = chunk.subarray(0, Math.min(chunk.length, SIZE - sent));
          sent += piece.length;
          controller.enqueue(piece);
        },
      });
      const res = await fetch(`${server.url}/api/v9/upload`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/octet-stream' },
        body,
        duplex: 'half',
      } as RequestInit);
      assert.equal(res.status, 200);
      answer = (await res.json()) as { body_bytes?: number };
    });
    console.log(`gateway upload of ${mb(SIZE)}: server RSS ${mb(before)} -> peak ${mb(peak)} (rise ${mb(peak - before)})`);
    assert.equal(answer.body_bytes, SIZE, 'the upstream received every byte');
    assert.ok(peak - before < BOUND, `RSS rose by ${mb(peak - before)}`);
  });

  it(`a 50 MB download reaches the client whole with the server's RSS rising < ${mb(BOUND)}`, async () => {
    let received = 0;
    const { before, peak } = await peakRise(server.pid, async () => {
      const res = await fetch(`${server.url}/api/v9/download/${SIZE}`, { headers: { authorization: auth } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-length'), String(SIZE));
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
      }
    });
    console.log(`gateway download of ${mb(SIZE)}: server RSS ${mb(before)} -> peak ${mb(peak)} (rise ${mb(peak - before)})`);
    assert.equal(received, SIZE);
    assert.ok(peak - before < BOUND, `RSS rose by ${mb(peak - before)}`);
  });
});
