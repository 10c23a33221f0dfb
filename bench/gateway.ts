// Gateway rows for `npm run bench`, self-contained (own processes and load loop): the sample upstream
// (examples/upstream.mjs) alone; nginx -> upstream; nginx auth_request -> Gatehouse -> upstream with an API
// token; Gatehouse's built-in proxy with an API token; with a BookingBug Auth-Token on a child company; and
// the forward-auth check itself beside token GET /api/v9/me on the same server. Returns Markdown lines.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startNginx, which, type Front } from '../test/helpers/gateway.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

interface Row {
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number);
}

async function load(name: string, url: string, headers: Record<string, string>, expect = 200, seconds = SECONDS): Promise<Row> {
  // Each row is warmed up for a second first (JIT, connection pools), not reported.
  if (seconds === SECONDS) await load(`${name} (warm-up)`, url, headers, expect, 1);
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const res = await fetch(url, { headers });
          await res.arrayBuffer();
          if (res.status !== expect) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  process.stderr.write(`bench: ${name}: ${latencies.length} requests, ${errors} errors\n`);
  return { name, perSecond: latencies.length / ((performance.now() - started) / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

function spawnUntil(args: string[], env: NodeJS.ProcessEnv, pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = pattern.exec(out);
      if (m) resolve({ child, match: m });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');

export async function gatewayBench(): Promise<string[]> {
  const children: ChildProcess[] = [];
  const fronts: Front[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-gw-'));
  const rows: Row[] = [];
  try {
    const upstreamPort = await freePort();
    const upstream = await spawnUntil([path.join(root, 'examples', 'upstream.mjs'), String(upstreamPort)], process.env, /listening on (http:\S+)/);
    children.push(upstream.child);
    const env = {
      ...process.env,
      PORT: '0',
      MANAGEMENT_PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      GATEHOUSE_SECRET: randomBytes(32).toString('hex'),
      GATEWAY_UPSTREAM: `http://127.0.0.1:${upstreamPort}`,
      TRUSTED_PROXIES: 'loopback',
    };
    const gh = await spawnUntil([path.join(root, 'dist', 'src', 'main.js')], env, /listening on (http:\/\/\S+)/);
    children.push(gh.child);
    const url = gh.match[1] as string;

    // A Toggl account and a BookingBug administrator of a parent company with a child.
    const password = 'bench-lantern-orbit-47';
    const signup = await fetch(`${url}/api/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'gw-bench@example.com', password }) });
    const cookie = signup.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const token = ((await (await fetch(`${url}/api/v9/me`, { headers: { cookie } })).json()) as { api_token: string }).api_token;
    const op = (args: string[]) => JSON.parse(execFileSync(process.execPath, [path.join(root, 'bin', 'gatehouse.js'), ...args, '--json'], { env }).toString()) as Record<string, unknown>;
    const parent = Number(op(['company', 'create', '--name', 'Bench Parent']).id);
    const child = Number(op(['company', 'create', '--name', 'Bench Child', '--parent', String(parent)]).id);
    op(['admin', 'create', '--company', String(parent), '--email', 'gw-bench-admin@example.com', '--password', password, '--name', 'Bench Admin']);
    const app = op(['app', 'create', '--company', String(parent), '--name', 'bench']);
    const appHeaders = { 'App-Id': String(app.app_id), 'App-Key': String(app.app_key) };
    const login = await fetch(`${url}/api/v1/login/admin/${parent}`, {
      method: 'POST',
      headers: { ...appHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'gw-bench-admin@example.com', password }),
    });
    const authToken = ((await login.json()) as { auth_token: string }).auth_token;

    const tokenAuth = { authorization: basic(token, 'api_token') };
    const path9 = '/api/v9/me/time_entries';
    let nginxAuth: string | undefined;
    let nginxPlain: string | undefined;
    if (which('nginx')) {
      const plainPort = await freePort();
      const nginx = await startNginx(Number(new URL(url).port), upstreamPort, plainPort);
      fronts.push(nginx);
      nginxAuth = nginx.url;
      nginxPlain = `http://127.0.0.1:${plainPort}`;
    }

    rows.push(await load('upstream alone (examples/upstream.mjs)', `http://127.0.0.1:${upstreamPort}${path9}`, {}));
    if (nginxPlain && nginxAuth) {
      rows.push(await load('nginx -> upstream', `${nginxPlain}${path9}`, {}));
      rows.push(await load('nginx auth_request -> Gatehouse -> upstream, API token', `${nginxAuth}${path9}`, tokenAuth));
    }
    rows.push(await load('built-in proxy -> upstream, API token', `${url}${path9}`, tokenAuth));
    rows.push(await load('built-in proxy -> upstream, Auth-Token on a child company', `${url}/api/v1/admin/${child}/bookings`, { ...appHeaders, 'Auth-Token': authToken }));
    rows.push(await load('GET /gateway/check alone (forward-auth answer), API token', `${url}/gateway/check`, { ...tokenAuth, 'x-forwarded-uri': path9, 'x-forwarded-method': 'GET' }));
    rows.push(await load('GET /api/v9/me, API token (same server)', `${url}/api/v9/me`, tokenAuth));
  } finally {
    for (const f of fronts) await f.stop();
    for (const c of children.reverse()) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  }

  const upstreamAlone = rows[0] as Row;
  const row = (r: Row) => `| ${r.name} | ${r.perSecond.toFixed(0)} | ${(r.perSecond / upstreamAlone.perSecond).toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`;
  const check = rows.find((r) => r.name.startsWith('GET /gateway/check'));
  const me = rows.find((r) => r.name.startsWith('GET /api/v9/me'));
  const proxy = rows.find((r) => r.name.startsWith('built-in proxy -> upstream, API token'));
  return [
    '## Gateway',
    '',
    `The sample upstream, nginx (\`docs/nginx/gatehouse.conf\`) and Gatehouse in separate processes; ${CONCURRENCY} clients for ${SECONDS} s per row; ` +
      'ratios to the upstream served alone. Every gateway row signs a fresh Gatehouse-Assertion (Ed25519) per request.',
    '',
    '| scenario | req/s | ratio to upstream alone | p50 ms | p99 ms | errors |',
    '|---|---|---|---|---|---|',
    ...rows.map(row),
    '',
    check && me ? `Forward-auth check / token GET /api/v9/me: ${(check.perSecond / me.perSecond).toFixed(2)} (target >= 1).` : '',
    proxy ? `Built-in proxy / upstream alone: ${(proxy.perSecond / upstreamAlone.perSecond).toFixed(2)} (target >= 0.4).` : '',
    '',
  ];
}
