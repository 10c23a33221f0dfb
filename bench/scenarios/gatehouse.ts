// Gatehouse's authenticated paths on SQLite and on PostgreSQL, the token latency during a password-login
// storm, token throughput on a populated PostgreSQL database, and idle memory and start-up time.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { startBare, startBetterAuth } from './peers.js';
import { ROOT, basic, cookiePair, load, loadRounds, medianRound, rssMb, startGatehouse, type Group, type Proc, type Row, type Settings, type Target } from '../lib.js';

const EMAIL = 'bench@example.com';
const PASSWORD = 'bench-lantern-orbit-47';

/** Runs `gatehouse <args> --json` on the server's database and returns the object it prints. */
function operator(p: Proc, args: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'bin', 'gatehouse.js'), ...args, '--json'], { env: { ...process.env, ...p.env } });
  return JSON.parse(out.toString('utf8')) as Record<string, unknown>;
}

interface Credentials {
  token: string;
  accountsCookie: string;
  apiCookie: string;
  bb: { headers: Record<string, string>; companyId: number };
}

async function credentials(p: Proc): Promise<Credentials> {
  const res = await fetch(`${p.url}/api/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }) });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${await res.text()}`);
  const accountsCookie = cookiePair(res, '__Secure-accounts-session');
  const me = (await (await fetch(`${p.url}/api/v9/me`, { headers: { cookie: accountsCookie } })).json()) as { api_token: string };
  const v8 = await fetch(`${p.url}/api/v8/sessions`, { method: 'POST', headers: { authorization: basic(me.api_token, 'api_token') } });
  const apiCookie = cookiePair(v8, 'toggl_api_session_new');

  const companyId = Number(operator(p, ['company', 'create', '--name', 'Bench Co']).id);
  operator(p, ['admin', 'create', '--company', String(companyId), '--email', 'bench-admin@example.com', '--password', PASSWORD, '--name', 'Bench Admin']);
  const app = operator(p, ['app', 'create', '--company', String(companyId), '--name', 'bench']);
  const appHeaders = { 'App-Id': String(app.app_id), 'App-Key': String(app.app_key) };
  const login = await fetch(`${p.url}/api/v1/login/admin/${companyId}`, {
    method: 'POST',
    headers: { ...appHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench-admin@example.com', password: PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`BookingBug login failed: ${login.status} ${await login.text()}`);
  const authToken = ((await login.json()) as { auth_token: string }).auth_token;
  return { token: me.api_token, accountsCookie, apiCookie, bb: { headers: { ...appHeaders, 'Auth-Token': authToken }, companyId } };
}

/** The authenticated paths, by name. */
function paths(url: string, c: Credentials): Array<[string, Target]> {
  const me = `${url}/api/v9/me`;
  return [
    ['GET /health', { url: `${url}/health`, expect: 200 }],
    ['v9 /me, API token', { url: me, headers: { authorization: basic(c.token, 'api_token') }, expect: 200 }],
    ['v9 /me, accounts JWS cookie', { url: me, headers: { cookie: c.accountsCookie }, expect: 200 }],
    ['v8 /me, toggl_api_session_new cookie', { url: `${url}/api/v8/me`, headers: { cookie: c.apiCookie }, expect: 200 }],
    ['v9 /me, Basic email:password (verified cache)', { url: me, headers: { authorization: basic(EMAIL, PASSWORD) }, expect: 200 }],
    ['BookingBug admin route, App-Id + App-Key + Auth-Token', { url: `${url}/api/v1/admin/${c.bb.companyId}/company`, headers: c.bb.headers, expect: 200 }],
    ['v8 /me, Basic token:api_token (session reused)', { url: `${url}/api/v8/me`, headers: { authorization: basic(c.token, 'api_token') }, expect: 200 }],
  ];
}

/**
 * Rows measured in rounds, taking turns with a bare Fastify server started beside them (and, with `peer`, with
 * better-auth's get-session too): each row's ratio to the bare route, and to better-auth, comes from rounds
 * measured in the same spell of the machine (on this 2-core machine the bare route alone has measured anywhere
 * from 12k to 55k req/s within one day). The bare row is returned first, then better-auth's.
 */
async function inTurn(label: string, list: Array<[string, Target]>, s: Settings, peer: boolean): Promise<Row[]> {
  const servers: Proc[] = [];
  try {
    const bare = await startBare();
    servers.push(bare.proc);
    const companions: Array<[string, Target]> = [[`bare Fastify 5 route, in turn with the ${label} rows below`, bare.target]];
    if (peer) {
      const ba = await startBetterAuth(false);
      servers.push(ba.proc);
      companions.push([`better-auth get-session, SQLite, in turn with the ${label} rows below`, ba.target]);
    }
    for (const [, t] of companions) await load('warm-up', { ...t, seconds: 1 }, s);
    const measured = await loadRounds([...companions, ...list], s);
    const ceiling = measured[0] as Row;
    const betterAuth = peer ? measured[1] : undefined;
    const rows = measured.slice(companions.length).map((r) => ({ ...r, ceiling: ceiling.perSecond, peer: betterAuth?.perSecond }));
    return [...measured.slice(0, companions.length).map((r) => ({ ...r, ceiling: ceiling.perSecond })), ...rows];
  } finally {
    for (const p of servers) await p.stop();
  }
}

async function runPaths(p: Proc, label: string, s: Settings): Promise<Row[]> {
  const c = await credentials(p);
  const list = paths(p.url, c);
  for (const [, t] of list) await load('warm-up', { ...t, seconds: 1 }, s);
  return inTurn(
    `Gatehouse ${label}`,
    list.map(([name, t]) => [`Gatehouse ${label}: ${name}`, t]),
    s,
    true,
  );
}

/**
 * The targets of the authenticated rows (every path but GET /health) measured in turn: the lowest ratio to the
 * bare route and to better-auth, and the rows under each target.
 */
function targetNotes(rows: Row[], label: string, bareTarget: number): string[] {
  const authenticated = rows.filter((r) => r.ceiling !== undefined && r.peer !== undefined && !r.name.endsWith('GET /health'));
  if (authenticated.length === 0) return [];
  const short = (r: Row) => r.name.slice(r.name.indexOf(': ') + 2);
  const check = (what: string, of: (r: Row) => number, target: number) => {
    const lowest = authenticated.reduce((a, b) => (of(b) < of(a) ? b : a));
    const under = authenticated.filter((r) => of(r) < target);
    const misses = under.length === 0 ? 'every row meets it' : `under it: ${under.map((r) => `${short(r)} ${of(r).toFixed(3)}`).join('; ')}`;
    return `${label}, authenticated rows ${what}: lowest ${of(lowest).toFixed(3)} (${short(lowest)}; target >= ${target}); ${misses}.`;
  };
  return [check('vs the bare route in turn', (r) => r.perSecond / (r.ceiling as number), bareTarget), check('vs better-auth in turn', (r) => r.perSecond / (r.peer as number), 15)];
}

/** A fresh PostgreSQL database for one group, dropped afterwards. */
let databases = 0;

async function withDatabase<T>(s: Settings, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `gatehouse_bench_${process.pid}_${Date.now()}_${++databases}`;
  const admin = new pg.Client({ connectionString: s.postgresUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(s.postgresUrl);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
  }
}

async function postgresReachable(s: Settings): Promise<boolean> {
  const c = new pg.Client({ connectionString: s.postgresUrl, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

export const gatehouseSqlite: Group = {
  name: 'Gatehouse SQLite',
  notes: {},
  async run(s) {
    const p = await startGatehouse({});
    let rows: Row[];
    try {
      rows = await runPaths(p, 'SQLite', s);
    } finally {
      await p.stop();
    }
    this.notes = { main: targetNotes(rows, 'SQLite', 0.5) };
    // The rows above run at LOG_LEVEL=warn; what an operator's default (info: one JSON line per request) costs.
    const logged = await startGatehouse({ LOG_LEVEL: 'info' });
    try {
      const c = await credentials(logged);
      const token: Target = { url: `${logged.url}/api/v9/me`, headers: { authorization: basic(c.token, 'api_token') }, expect: 200 };
      await load('warm-up', { ...token, seconds: 1 }, s);
      rows.push(...(await inTurn('LOG_LEVEL=info', [['Gatehouse SQLite: v9 /me, API token, LOG_LEVEL=info (one log line per request)', token]], s, false)));
    } finally {
      await logged.stop();
    }
    return rows;
  },
};

export const gatehousePostgres: Group = {
  name: 'Gatehouse PostgreSQL',
  notes: {},
  async run(s) {
    if (!(await postgresReachable(s))) {
      process.stderr.write('bench: no PostgreSQL answers on the bench URL; PostgreSQL rows skipped\n');
      return [];
    }
    return withDatabase(s, async (url) => {
      const p = await startGatehouse({ DATABASE_URL: url });
      try {
        const rows = await runPaths(p, 'PostgreSQL', s);
        this.notes = { main: targetNotes(rows, 'PostgreSQL', 0.4) };
        return rows;
      } finally {
        await p.stop();
      }
    });
  },
};

/**
 * Token p50/p99 with 4 clients, quiet and during a storm of 32 clients sending wrong passwords (SQLite). A p99
 * is the noisiest figure here, so the pair is measured in `s.rounds` rounds (quiet, then during a storm) and the
 * round with the median ratio is shown, with every round's ratio in its note. `env` adds settings to the
 * server's; `label` is added to the row names. The target is the default settings' (no `env`).
 */
async function stormRows(s: Settings, env: Record<string, string>, label: string): Promise<Row[]> {
  const target = Object.keys(env).length === 0;
  // The storm comes from one loopback address: lift the per-address limit so it measures hashing load.
  const p = await startGatehouse({ LOGIN_ADDRESS_MAX_FAILURES: '1000000', ...env });
  try {
    const c = await credentials(p);
    const token: Target = { url: `${p.url}/api/v9/me`, headers: { authorization: basic(c.token, 'api_token') }, expect: 200, connections: 4 };
    await load('warm-up', { ...token, seconds: 1 }, s);
    let n = 0;
    const rounds: Array<{ quiet: Row; storm: Row; during: Row; ratio: number }> = [];
    for (let round = 1; round <= s.rounds; round++) {
      const quiet = await load(`token, 4 clients, quiet${label}`, token, s);
      const stormRun = load(
        `POST /api/sessions, wrong passwords (the storm, 32 clients)${label}`,
        {
          url: `${p.url}/api/sessions`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: () => JSON.stringify({ email: `storm${n++}@example.com`, password: 'wrong-password-x' }),
          expect: 403,
          connections: 32,
        },
        s,
      );
      const during = await load(`token, 4 clients, during the storm${label}`, token, s);
      const st = await stormRun;
      rounds.push({ quiet, storm: st, during, ratio: during.p99 / Math.max(quiet.p99, 0.001) });
    }
    const { median, all } = medianRound(rounds, 'x');
    const note = `p99 ${median.ratio.toFixed(2)}x quiet, the median round${target ? ' (target <= 3x)' : ''}${all}`;
    return [
      { ...median.quiet, section: 'storm' },
      { ...median.storm, section: 'storm' },
      { ...median.during, section: 'storm', note },
    ];
  } finally {
    await p.stop();
  }
}

/**
 * The storm rows with the default settings (the target), then with the hashing threads under SCHED_IDLE
 * (HELPER_THREAD_POLICY=idle, an operator's choice with a price: README, Configuration).
 */
export const storm: Group = {
  name: 'login storm',
  async run(s) {
    return [...(await stormRows(s, {}, '')), ...(await stormRows(s, { HELPER_THREAD_POLICY: 'idle' }, ', HELPER_THREAD_POLICY=idle'))];
  },
};

/** Fills a Gatehouse database with `accounts` accounts and `sessions` live sessions, then lets it settle. */
async function populate(url: string, accounts: number, sessions: number): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const t0 = performance.now();
  await c.query(
    `insert into accounts (public_id, email, email_key, fullname, password_hash, api_token_enc, api_token_digest, timezone, beginning_of_week, credentials_version, created_at, updated_at, authorization_updated_at)
     select 'pop' || g, 'pop' || g || '@example.com', 'pop' || g || '@example.com', 'Pop', null, null, 'popdigest' || g, 'UTC', 1, 0, 0, 0, 0 from generate_series(1, $1::int) g`,
    [accounts],
  );
  await c.query(
    `insert into sessions (token_digest, account_id, kind, created_at, last_used_at, idle_seconds, expires_at, revoked_at)
     select 'popsession' || g, (select min(id) from accounts) + (g % $2::int), 'accounts', 0, 0, 86400, 9999999999999, null from generate_series(1, $1::int) g`,
    [sessions, accounts],
  );
  // Vacuumed, analysed and written out before any measurement, so that PostgreSQL's background work on the
  // new rows (autovacuum, the checkpoint) does not fall into it.
  await c.query('vacuum (analyze) accounts, sessions');
  await c.query('checkpoint');
  await c.end();
  process.stderr.write(`bench: populated ${accounts} accounts and ${sessions} sessions in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}

/**
 * Token throughput on PostgreSQL with a large population against an empty database: two servers, one per
 * database, running side by side and measured in turns within each round, so that a slow spell of the machine
 * falls on both figures rather than on one.
 */
export const scale: Group = {
  name: 'PostgreSQL population',
  async run(s) {
    if (!(await postgresReachable(s))) return [];
    const accounts = s.scale ? 1_000_000 : 100_000;
    const sessions = s.scale ? 5_000_000 : 500_000;
    const populatedLabel = `${accounts.toLocaleString('en')} accounts, ${sessions.toLocaleString('en')} sessions`;
    return withDatabase(s, (emptyUrl) =>
      withDatabase(s, async (fullUrl) => {
        const servers: Proc[] = [];
        try {
          servers.push(await startGatehouse({ DATABASE_URL: emptyUrl }), await startGatehouse({ DATABASE_URL: fullUrl }));
          await populate(fullUrl, accounts, sessions);
          const targets: Array<[string, Target]> = [];
          for (const [label, p] of [['empty database', servers[0]], [populatedLabel, servers[1]]] as Array<[string, Proc]>) {
            const cr = await credentials(p);
            const target: Target = { url: `${p.url}/api/v9/me`, headers: { authorization: basic(cr.token, 'api_token') }, expect: 200 };
            await load('warm-up', { ...target, seconds: 1 }, s);
            targets.push([`Gatehouse PostgreSQL: v9 /me, API token, ${label}`, target]);
          }
          // Each round measures both servers in turn; the round with the median ratio is shown, every
          // round's ratio in the note.
          const rounds: Array<{ empty: Row; full: Row; ratio: number }> = [];
          for (let round = 1; round <= s.rounds; round++) {
            const [empty, full] = (await loadRounds(targets, { ...s, rounds: 1 })) as [Row, Row];
            rounds.push({ empty, full, ratio: full.perSecond / empty.perSecond });
          }
          const { median, all } = medianRound(rounds);
          const note = `${median.ratio.toFixed(2)} of the empty-database figure, the median round (target >= 0.9)${all}`;
          return [
            { ...median.empty, section: 'scale' },
            { ...median.full, section: 'scale', note },
          ];
        } finally {
          for (const p of servers) await p.stop();
        }
      }),
    );
  },
};

/** Idle RSS and start to first answer on an existing SQLite file (the second start of the same data). */
export const memory: Group = {
  name: 'memory and start',
  facts: [],
  async run() {
    const first = await startGatehouse({});
    const dir = first.dir;
    const env = { GATEHOUSE_SECRET: first.env.GATEHOUSE_SECRET as string };
    await fetch(`${first.url}/api/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }) });
    first.child.kill('SIGTERM');
    await new Promise((r) => first.child.once('exit', r));
    const starts: number[] = [];
    let rss = 0;
    let idleRss = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const p = await startGatehouse(env, dir);
      const res = await fetch(`${p.url}/health`);
      starts.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`health answered ${res.status}`);
      await new Promise((r) => setTimeout(r, 3000));
      rss = rssMb(p.child.pid as number);
      // Idle for good: V8 gives unused heap back by itself (its memory reducer) after some idle time.
      if (i === 2) {
        for (let waited = 0; waited < 60 && idleRss === 0; waited += 5) {
          await new Promise((r) => setTimeout(r, 5000));
          const now = rssMb(p.child.pid as number);
          if (now < rss - 5) idleRss = now;
        }
        idleRss ||= rssMb(p.child.pid as number);
      }
      await p.stop();
    }
    await first.stop();
    const start = Math.min(...starts);
    this.facts = [
      `RSS 3 s after start and one answer: ${rss.toFixed(0)} MB; idle (once V8's memory reducer has run, at most 60 s later): ${idleRss.toFixed(0)} MB (target < 80 MB).`,
      `Start to first answer on an existing SQLite file (spawn of \`node dist/gatehouse.mjs\`, what \`npm start\` runs, to the first GET /health answer, best of 3): ${start.toFixed(0)} ms (target < 500 ms; all: ${starts.map((x) => x.toFixed(0)).join(', ')} ms).`,
    ];
    return [];
  },
};
