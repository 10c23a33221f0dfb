// The gateway rows (docs/gateway.md): the sample upstream (examples/upstream.mjs) alone; nginx -> upstream;
// nginx auth_request -> Gatehouse -> upstream with an API token; Gatehouse's built-in proxy with an API token
// and with a BookingBug Auth-Token on a child company; the forward-auth check itself beside token
// GET /api/v9/me on the same server. Loaded with the same load generator and settings as every other row.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startNginx, which, type Front } from '../../test/helpers/gateway.js';
import { freePort } from '../../test/helpers/ports.js';
import { ROOT, basic, load, startGatehouse, type Group, type Proc, type Row, type Settings, type Target } from '../lib.js';

const PASSWORD = 'bench-lantern-orbit-47';

function spawnUntil(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
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

/** A Toggl account's API token, and a BookingBug administrator's headers on a parent company with a child. */
async function credentials(p: Proc): Promise<{ token: string; bb: Record<string, string>; child: number }> {
  const url = p.url;
  const signup = await fetch(`${url}/api/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'gw-bench@example.com', password: PASSWORD }) });
  const cookie = signup.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const token = ((await (await fetch(`${url}/api/v9/me`, { headers: { cookie } })).json()) as { api_token: string }).api_token;
  const op = (args: string[]) =>
    JSON.parse(execFileSync(process.execPath, [path.join(ROOT, 'bin', 'gatehouse.js'), ...args, '--json'], { env: { ...process.env, ...p.env } }).toString()) as Record<string, unknown>;
  const parent = Number(op(['company', 'create', '--name', 'Bench Parent']).id);
  const child = Number(op(['company', 'create', '--name', 'Bench Child', '--parent', String(parent)]).id);
  op(['admin', 'create', '--company', String(parent), '--email', 'gw-bench-admin@example.com', '--password', PASSWORD, '--name', 'Bench Admin']);
  const app = op(['app', 'create', '--company', String(parent), '--name', 'bench']);
  const appHeaders = { 'App-Id': String(app.app_id), 'App-Key': String(app.app_key) };
  const login = await fetch(`${url}/api/v1/login/admin/${parent}`, {
    method: 'POST',
    headers: { ...appHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'gw-bench-admin@example.com', password: PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`BookingBug login failed: ${login.status} ${await login.text()}`);
  const authToken = ((await login.json()) as { auth_token: string }).auth_token;
  return { token, bb: { ...appHeaders, 'Auth-Token': authToken }, child };
}

async function measure(name: string, t: Target, s: Settings): Promise<Row> {
  await load('warm-up', { ...t, seconds: 1 }, s);
  return { ...(await load(name, t, s)), section: 'gateway' };
}

export const gateway: Group = {
  name: 'gateway',
  notes: {},
  async run(s) {
    const children: ChildProcess[] = [];
    const fronts: Front[] = [];
    let gh: Proc | undefined;
    const rows: Row[] = [];
    try {
      const upstreamPort = await freePort();
      const upstream = await spawnUntil([path.join(ROOT, 'examples', 'upstream.mjs'), String(upstreamPort)], /listening on (http:\S+)/);
      children.push(upstream.child);
      gh = await startGatehouse({ GATEWAY_UPSTREAM: `http://127.0.0.1:${upstreamPort}`, TRUSTED_PROXIES: 'loopback' });
      const url = gh.url;
      const c = await credentials(gh);
      const tokenAuth = { authorization: basic(c.token, 'api_token') };
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

      rows.push({ ...(await measure('upstream alone (examples/upstream.mjs)', { url: `http://127.0.0.1:${upstreamPort}${path9}`, expect: 200 }, s)), role: 'upstream' });
      if (nginxPlain && nginxAuth) {
        rows.push(await measure('nginx -> upstream', { url: `${nginxPlain}${path9}`, expect: 200 }, s));
        rows.push(await measure('nginx auth_request -> Gatehouse -> upstream, API token', { url: `${nginxAuth}${path9}`, headers: tokenAuth, expect: 200 }, s));
      }
      const proxy = await measure('built-in proxy -> upstream, API token', { url: `${url}${path9}`, headers: tokenAuth, expect: 200 }, s);
      rows.push(proxy);
      rows.push(await measure('built-in proxy -> upstream, Auth-Token on a child company', { url: `${url}/api/v1/admin/${c.child}/bookings`, headers: c.bb, expect: 200 }, s));
      const check = await measure(
        'GET /gateway/check alone (forward-auth answer), API token',
        { url: `${url}/gateway/check`, headers: { ...tokenAuth, 'x-forwarded-uri': path9, 'x-forwarded-method': 'GET' }, expect: 200 },
        s,
      );
      rows.push(check);
      const me = await measure('GET /api/v9/me, API token (same server)', { url: `${url}/api/v9/me`, headers: tokenAuth, expect: 200 }, s);
      rows.push(me);
      const alone = rows[0] as Row;
      this.notes = {
        gateway: [
          `Forward-auth check / token GET /api/v9/me: ${(check.perSecond / me.perSecond).toFixed(2)} (target >= 1).`,
          `Built-in proxy / upstream alone: ${(proxy.perSecond / alone.perSecond).toFixed(2)} (target >= 0.4).`,
        ],
      };
      return rows;
    } finally {
      for (const f of fronts) await f.stop();
      if (gh) await gh.stop();
      for (const child of children.reverse()) await stop(child);
    }
  },
};
