// Crash safety (security.md, Data): a real server process under concurrent signups and logins is killed
// with SIGKILL mid-load, then restarted on the same database. Every signup that was acknowledged (a full
// 201 answer reached the client) must still log in and still have its default workspace; no signup may be
// half-written (an account without its workspace); on SQLite the file passes `PRAGMA integrity_check`.
// Runs on both backends. GATEHOUSE_CRASH_SECONDS (default 5) and GATEHOUSE_CRASH_ROUNDS (default 1) make a
// longer variant: `GATEHOUSE_CRASH_SECONDS=30 GATEHOUSE_CRASH_ROUNDS=5 node scripts/run-tests.mjs crash`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { basic } from '../helpers/http.js';
import { deployment, killAllServers, startServerProcess, type Deployment } from '../helpers/process.js';
import { BACKEND } from '../helpers/server.js';

const SECONDS = Number(process.env.GATEHOUSE_CRASH_SECONDS ?? 5);
const ROUNDS = Number(process.env.GATEHOUSE_CRASH_ROUNDS ?? 1);
const CONCURRENCY = 8;
const RUN = randomBytes(4).toString('hex');

interface Signup {
  email: string;
  password: string;
  id: number;
}

interface LoadResult {
  attempted: number;
  acknowledged: number;
  logins: number;
  inFlightSignupsAtKill: number;
  otherStatuses: Map<number, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Drives signups (about two in three requests) and password logins of acknowledged accounts from
 * CONCURRENCY loops until `kill` is called, then lets every loop notice and stop. Only a complete 201
 * with its body counts as acknowledged.
 */
async function drive(url: string, round: number, acknowledged: Signup[], killAt: number, kill: () => Promise<void>): Promise<LoadResult> {
  let stop = false;
  let seq = 0;
  let inFlightSignups = 0;
  const r: LoadResult = { attempted: 0, acknowledged: 0, logins: 0, inFlightSignupsAtKill: 0, otherStatuses: new Map() };
  const count = (status: number) => r.otherStatuses.set(status, (r.otherStatuses.get(status) ?? 0) + 1);

  async function signup(): Promise<void> {
    const n = ++seq;
    const email = `crash-${RUN}.${round}.${n}@example.com`;
    const password = `orbit-${randomBytes(6).toString('hex')}-lantern`;
    r.attempted++;
    inFlightSignups++;
    try {
      const res = await fetch(`${url}/api/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password, display_name: `Crash ${round}.${n}` }),
      });
      const text = await res.text();
      if (res.status === 201) {
        const body = JSON.parse(text) as { id: number; email: string };
        assert.equal(body.email, email);
        acknowledged.push({ email, password, id: body.id });
        r.acknowledged++;
      } else count(res.status);
    } finally {
      inFlightSignups--;
    }
  }

  async function login(): Promise<void> {
    const a = acknowledged[Math.floor(Math.random() * acknowledged.length)] as Signup;
    const res =
      Math.random() < 0.5
        ? await fetch(`${url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: a.email, password: a.password }) })
        : await fetch(`${url}/api/v9/me`, { headers: { authorization: basic(a.email, a.password) } });
    await res.arrayBuffer();
    if (res.status === 200) r.logins++;
    else count(res.status);
  }

  const loops = Array.from({ length: CONCURRENCY }, async () => {
    while (!stop) {
      try {
        if (acknowledged.length > 0 && Math.random() < 0.35) await login();
        else await signup();
      } catch (err) {
        // After the kill every request fails at the socket; before it, nothing may.
        if (!stop) throw err;
      }
    }
  });
  const killer = (async () => {
    await sleep(killAt);
    // Kill while at least one signup is in flight (give it up to a second to happen).
    const deadline = Date.now() + 1000;
    while (inFlightSignups === 0 && Date.now() < deadline) await sleep(2);
    r.inFlightSignupsAtKill = inFlightSignups;
    stop = true;
    await kill();
  })();
  await Promise.all([...loops, killer]);
  return r;
}

/** Accounts of this run that are missing their default workspace (a half-written signup). */
const HALF_WRITTEN = `
  select a.id, a.email from accounts a
  where a.email like ? and (a.default_workspace_id is null or not exists (
    select 1 from workspaces w where w.id = a.default_workspace_id and w.owner_id = a.id))`;

/** Opens the database behind the server's back (the server is dead) and checks it. */
async function checkAtRest(d: Deployment, acknowledged: Signup[]): Promise<number> {
  const pattern = `crash-${RUN}.%`;
  if (BACKEND === 'sqlite') {
    const db = new BetterSqlite3(d.databaseUrl);
    try {
      assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }], 'PRAGMA integrity_check');
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal', 'the file is in WAL mode');
      assert.deepEqual(db.pragma('foreign_key_check'), [], 'PRAGMA foreign_key_check');
      // The whole file is this test's: no account anywhere may lack its workspace.
      assert.deepEqual(db.prepare(HALF_WRITTEN).all('%'), [], 'no half-written signup');
      const present = new Set((db.prepare('select email from accounts where email like ?').all(pattern) as Array<{ email: string }>).map((x) => x.email));
      const lost = acknowledged.filter((a) => !present.has(a.email));
      assert.deepEqual(lost, [], 'every acknowledged signup is in the file');
      return present.size;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: d.databaseUrl });
  await client.connect();
  try {
    const half = await client.query(HALF_WRITTEN.replace('?', '$1'), [pattern]);
    assert.deepEqual(half.rows, [], 'no half-written signup');
    const rows = await client.query<{ email: string }>('select email from accounts where email like $1', [pattern]);
    const present = new Set(rows.rows.map((x) => x.email));
    const lost = acknowledged.filter((a) => !present.has(a.email));
    assert.deepEqual(lost, [], 'every acknowledged signup is in the database');
    return present.size;
  } finally {
    await client.end();
  }
}

/** Every acknowledged signup logs in with its password and has its default workspace. */
async function checkLive(url: string, acknowledged: Signup[]): Promise<void> {
  let next = 0;
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < acknowledged.length) {
        const a = acknowledged[next++] as Signup;
        const auth = { authorization: basic(a.email, a.password) };
        const me = await fetch(`${url}/api/v9/me`, { headers: auth });
        const user = (await me.json().catch(() => undefined)) as { id?: number; email?: string; default_workspace_id?: number | null } | undefined;
        if (me.status !== 200 || user?.email !== a.email || user.id !== a.id) {
          failures.push(`${a.email}: GET /api/v9/me ${me.status} ${JSON.stringify(user)}`);
          continue;
        }
        const ws = await fetch(`${url}/api/v9/me/workspaces`, { headers: auth });
        const list = (await ws.json().catch(() => [])) as Array<{ id: number; name: string }>;
        if (ws.status !== 200 || typeof user.default_workspace_id !== 'number' || !list.some((w) => w.id === user.default_workspace_id)) {
          failures.push(`${a.email}: default workspace ${user.default_workspace_id} not among ${JSON.stringify(list)} (${ws.status})`);
        }
      }
    }),
  );
  assert.deepEqual(failures, [], 'every acknowledged signup logs in and has its workspace after the restart');
}

describe(`crash: SIGKILL under concurrent signups and logins (${BACKEND})`, () => {
  let d: Deployment;
  before(() => {
    d = deployment();
  });
  after(async () => {
    await killAllServers();
    d.remove();
  });

  it('loses no acknowledged signup, leaves none half-written, and the database stays intact', async () => {
    const acknowledged: Signup[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const server = await startServerProcess(d);
      // Kill somewhere in the second half of the load period, so the kill lands at a different point each run.
      const killAt = Math.round(SECONDS * 1000 * (0.5 + Math.random() * 0.5));
      const r = await drive(server.url, round, acknowledged, killAt, async () => {
        const exit = await server.kill('SIGKILL');
        assert.equal(exit.signal, 'SIGKILL', 'the process died of SIGKILL');
      });
      const others = [...r.otherStatuses].map(([s, n]) => `${s}x${n}`).join(' ') || 'none';
      console.log(
        `crash round ${round} (${BACKEND}): killed at ${killAt} ms with ${r.inFlightSignupsAtKill} signups in flight; ` +
          `${r.acknowledged}/${r.attempted} signups acknowledged, ${r.logins} logins; other answers: ${others}`,
      );
      assert.ok(r.acknowledged >= 10, `enough signups were acknowledged to mean something (${r.acknowledged}; other answers: ${others})`);
      assert.deepEqual([...r.otherStatuses.keys()].filter((s) => s >= 500 && s !== 503), [], 'no 5xx other than load shedding');

      const present = await checkAtRest(d, acknowledged);
      console.log(`crash round ${round} (${BACKEND}): ${present} accounts of this run at rest, ${acknowledged.length} acknowledged, all whole`);

      const restarted = await startServerProcess(d);
      await checkLive(restarted.url, acknowledged);
      const exit = await restarted.kill('SIGTERM');
      assert.deepEqual(exit, { code: 0, signal: null }, `graceful stop after the check:\n${restarted.output()}`);
    }
    // After the last graceful stop the database must still be intact.
    await checkAtRest(d, acknowledged);
  });
});
