// `npm run bench`: load benchmarks of the hot paths against a real server process on loopback, measured
// side by side in one run and reported as ratios to a ceiling (GET /health: no credential, one trivial
// query). Writes bench/RESULTS.md. Request loops are bounded in time and stop by themselves.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

interface Server {
  url: string;
  child: ChildProcess;
  dir: string;
  /** The environment the server runs with (the operator CLI needs the same database and secret). */
  env: Record<string, string>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-'));
  const serverEnv = { PORT: '0', MANAGEMENT_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn', GATEHOUSE_SECRET: randomBytes(32).toString('hex'), ...env };
  const child = spawn(process.execPath, [path.join(root, 'dist', 'src', 'main.js')], {
    env: { ...process.env, ...serverEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url, child, dir, env: serverEnv };
}

async function stopServer(s: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    s.child.once('exit', () => resolve());
    s.child.kill('SIGTERM');
  });
  rmSync(s.dir, { recursive: true, force: true });
}

interface Result {
  name: string;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;
}

/** Runs `concurrency` request loops for `seconds`; `expect` is the status every answer must have. */
async function load(name: string, url: string, init: () => RequestInit, expect: number, seconds = SECONDS, concurrency = CONCURRENCY): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const res = await fetch(url, init());
          await res.arrayBuffer();
          if (res.status !== expect) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  process.stderr.write(`bench: ${name}: ${latencies.length} requests, ${errors} errors\n`);
  return { name, requests: latencies.length, perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

async function signup(url: string, email: string, password: string): Promise<{ token: string; accountsCookie: string }> {
  const res = await fetch(`${url}/api/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const me = (await (await fetch(`${url}/api/v9/me`, { headers: { cookie } })).json()) as { api_token: string };
  return { token: me.api_token, accountsCookie: cookie };
}

/** Runs `gatehouse <args> --json` on the server's database and returns the object it prints. */
function operator(s: Server, args: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, [path.join(root, 'bin', 'gatehouse.js'), ...args, '--json'], { env: { ...process.env, ...s.env } });
  return JSON.parse(out.toString('utf8')) as Record<string, unknown>;
}

/** A BookingBug administrator logged in through a keyed application: the headers of an admin request. */
async function bookingBugAdmin(s: Server, password: string): Promise<{ headers: Record<string, string>; companyId: number }> {
  const company = operator(s, ['company', 'create', '--name', 'Bench Co']);
  const companyId = Number(company.id);
  operator(s, ['admin', 'create', '--company', String(companyId), '--email', 'bench-admin@example.com', '--password', password, '--name', 'Bench Admin']);
  const app = operator(s, ['app', 'create', '--company', String(companyId), '--name', 'bench']);
  const appHeaders = { 'App-Id': String(app.app_id), 'App-Key': String(app.app_key) };
  const res = await fetch(`${s.url}/api/v1/login/admin/${companyId}`, {
    method: 'POST',
    headers: { ...appHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench-admin@example.com', password }),
  });
  if (res.status !== 200) throw new Error(`BookingBug login failed: ${res.status} ${await res.text()}`);
  const token = ((await res.json()) as { auth_token: string }).auth_token;
  return { headers: { ...appHeaders, 'Auth-Token': token }, companyId };
}

async function main(): Promise<void> {
  const password = 'bench-lantern-orbit-47';
  const email = 'bench@example.com';
  const results: Result[] = [];
  let storm: Result | undefined;
  let duringStorm: Result | undefined;
  let quietFew: Result | undefined;
  const servers: Server[] = [];
  try {
    // The storm below comes from one loopback address: lift the per-address failure limit so it measures
    // hashing load, not the (much cheaper) address lockout.
    const cached = await startServer({ LOGIN_ADDRESS_MAX_FAILURES: '1000000' });
    servers.push(cached);
    const uncached = await startServer({ BASIC_AUTH_CACHE_SECONDS: '0', LOGIN_MAX_FAILURES: '1000' });
    servers.push(uncached);
    const { token, accountsCookie } = await signup(cached.url, email, password);
    const v8 = await fetch(`${cached.url}/api/v8/sessions`, { method: 'POST', headers: { authorization: basic(token, 'api_token') } });
    const apiCookie = v8.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    await signup(uncached.url, email, password);
    const me = `${cached.url}/api/v9/me`;
    const bbAdmin = await bookingBugAdmin(cached, password);

    // Warm-up (JIT, connection pools, SQLite page cache), not reported.
    await load('warm-up', `${cached.url}/health`, () => ({}), 200, 1);
    await load('warm-up', me, () => ({ headers: { authorization: basic(token, 'api_token') } }), 200, 1);
    results.push(await load('GET /health (ceiling: no credential)', `${cached.url}/health`, () => ({}), 200));
    results.push(await load('GET /api/v9/me, API token (Basic token:api_token)', me, () => ({ headers: { authorization: basic(token, 'api_token') } }), 200));
    results.push(await load('GET /api/v9/me, accounts cookie (JWS + session row)', me, () => ({ headers: { cookie: accountsCookie } }), 200));
    results.push(
      await load('GET /api/v1/admin/{id}/company, BookingBug App-Id + App-Key + Auth-Token', `${cached.url}/api/v1/admin/${bbAdmin.companyId}/company`, () => ({ headers: bbAdmin.headers }), 200),
    );
    results.push(await load('GET /api/v9/me, v8 API session cookie', me, () => ({ headers: { cookie: apiCookie } }), 200));
    results.push(await load('GET /api/v9/me, Basic email:password, verified-credential cache', me, () => ({ headers: { authorization: basic(email, password) } }), 200));
    results.push(
      await load('GET /api/v9/me, Basic email:password, cache off (Argon2id every request)', `${uncached.url}/api/v9/me`, () => ({ headers: { authorization: basic(email, password) } }), 200),
    );

    quietFew = await load('GET /api/v9/me, API token, 4 clients, quiet', me, () => ({ headers: { authorization: basic(token, 'api_token') } }), 200, SECONDS, 4);
    // A storm of failing password logins (unknown emails, each one an Argon2id verify) while token
    // requests run: the token requests' latency must stay close to the quiet figure above.
    let n = 0;
    const stormRun = load(
      'POST /api/sessions, wrong passwords (storm)',
      `${cached.url}/api/sessions`,
      () => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `storm${n++}@example.com`, password: 'wrong-password-x' }) }),
      403,
      SECONDS,
      32,
    );
    duringStorm = await load('GET /api/v9/me, API token, during the storm', me, () => ({ headers: { authorization: basic(token, 'api_token') } }), 200, SECONDS, 4);
    storm = await stormRun;
  } finally {
    for (const s of servers) await stopServer(s);
  }

  const ceiling = results[0] as Result;
  const row = (r: Result) =>
    `| ${r.name} | ${r.perSecond.toFixed(0)} | ${(r.perSecond / ceiling.perSecond).toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`;
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} cores, SQLite backend, ` +
      `${CONCURRENCY} concurrent loopback clients for ${SECONDS} s per row, client and server in separate processes on the same machine. ` +
      'Absolute numbers depend on the machine; the ratios are what to compare between runs.',
    '',
    '| scenario | req/s | ratio to ceiling | p50 ms | p99 ms | errors |',
    '|---|---|---|---|---|---|',
    ...results.map(row),
    '',
    '## Token requests during a password-login storm',
    '',
    '| scenario | req/s | ratio to ceiling | p50 ms | p99 ms | errors |',
    '|---|---|---|---|---|---|',
    ...(storm && duringStorm && quietFew ? [row(quietFew), row(storm), row(duringStorm)] : []),
    '',
    duringStorm && quietFew
      ? `With the same 4 token clients, token p50 during the storm is ${(duringStorm.p50 / quietFew.p50).toFixed(2)}x the quiet p50 (p99 ${(duringStorm.p99 / quietFew.p99).toFixed(2)}x): ` +
        'hashing runs on the thread pool with a bounded number in flight, so the event loop keeps serving token checks.'
      : '',
    '',
  ];
  const out = path.join(root, 'bench', 'RESULTS.md');
  writeFileSync(out, lines.join('\n'));
  console.log(lines.join('\n'));
}

await main();
