// The rest of the operator CLI as an operator runs it (a real process on the server's environment): help on
// every command and subcommand without side effects, --version, listings, the audit export and its
// retention, migration status, and an online SQLite backup taken while signups keep arriving.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { openStore, startServer } from '../../src/server.js';
import { request } from '../helpers/http.js';
import { deployment, killAllServers, startServerProcess } from '../helpers/process.js';
import { BACKEND, GOOD_PASSWORD, startTestServer, testEnv, uniqueEmail, type TestServer } from '../helpers/server.js';
import { runGatehouse, type CliRun } from '../helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

type Run = CliRun;

const gatehouse = (env: Record<string, string>, args: string[], stdin = ''): Promise<Run> => runGatehouse(args, env, { stdin, inheritEnv: false });

function ndjson(r: Run): Array<Record<string, unknown>> {
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('gatehouse help and version', () => {
  it('--help on every command and subcommand prints its usage, exits 0 and touches nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-help-'));
    try {
      // A database that does not exist yet: any command that ran would create it.
      const env = { DATA_DIR: dir, DATABASE_URL: path.join(dir, 'gatehouse.db'), PORT: '0', MANAGEMENT_PORT: '0' };
      const commands = [
        [],
        ['serve'],
        ['migrate'],
        ['migrate', '--status'],
        ['backup'],
        ['audit'],
        ['company'],
        ['company', 'create'],
        ['company', 'list'],
        ['admin', 'create'],
        ['member', 'create'],
        ['app'],
        ['app', 'create'],
        ['app', 'revoke'],
        ['app', 'list'],
        ['account'],
        ['account', 'list'],
        ['account', 'show'],
        ['account', 'disable'],
        ['account', 'enable'],
        ['account', 'revoke'],
      ];
      // -h on a few, --help on all; four processes at a time.
      const runs = [...commands.map((c) => [...c, '--help']), ['-h'], ['account', 'list', '-h'], ['backup', '--to', 'x.db', '-h']];
      for (let i = 0; i < runs.length; i += 4) {
        await Promise.all(
          runs.slice(i, i + 4).map(async (args) => {
            const r = await gatehouse(env, args);
            assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
            assert.match(r.stdout, /^usage:/, `${args.join(' ')} prints its usage`);
            const words = args.filter((a) => !a.startsWith('-'));
            if (words.length === 2 && words[0] !== 'backup') assert.ok(r.stdout.includes(`gatehouse ${words.join(' ')}`), `${args.join(' ')} names the subcommand:\n${r.stdout}`);
          }),
        );
      }
      assert.deepEqual(readdirSync(dir), [], 'no database, secret or anything else was created');
      const help = await gatehouse(env, ['help', 'audit']);
      assert.match(help.stdout, /--since TIME/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--version prints the package version; an unknown command exits 2 with the usage', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await gatehouse({}, ['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), `gatehouse ${pkg.version}`);
    const bad = await gatehouse({}, ['frobnicate']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown command "frobnicate"[\s\S]*usage: gatehouse/);
  });
});

describe(`gatehouse listings, audit and migrations (${BACKEND})`, () => {
  let server: TestServer;
  let env: Record<string, string>;

  before(async () => {
    server = await startTestServer();
    env = testEnv(server.dataDir, { GATEHOUSE_SECRET: server.config.secrets?.join(',') ?? '' });
  });
  after(async () => {
    await server.stop();
  });

  it('migrate lists what it applied; --status lists every migration as applied', async () => {
    const status = ndjson(await gatehouse(env, ['migrate', '--status', '--json']));
    assert.ok(status.length >= 3);
    assert.ok(status.every((m) => m.state === 'applied' && typeof m.applied_at === 'string'), JSON.stringify(status));
    assert.deepEqual(status.slice(0, 2).map((m) => m.name), ['0001_identity', '0002_companies']);
    const again = await gatehouse(env, ['migrate']);
    assert.equal(again.code, 0);
    assert.equal(again.stdout.trim(), 'no migration pending');
    if (BACKEND === 'sqlite') {
      const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-migrate-'));
      try {
        const fresh = { DATA_DIR: dir, DATABASE_URL: path.join(dir, 'g.db') };
        const pending = ndjson(await gatehouse(fresh, ['migrate', '--status', '--json']));
        assert.ok(pending.length >= 3 && pending.every((m) => m.state === 'pending' && m.applied_at === null));
        const applied = ndjson(await gatehouse(fresh, ['migrate', '--json']));
        assert.deepEqual(applied.map((m) => m.name), pending.map((m) => m.name));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('company list, account list (--company, --query, --limit) and account show', async () => {
    const company = JSON.parse((await gatehouse(env, ['company', 'create', '--name', 'Listing Co', '--json'])).stdout) as { id: number };
    const admin = uniqueEmail('listed-admin');
    const r = await gatehouse(env, ['admin', 'create', '--company', String(company.id), '--email', admin, '--password-stdin', '--name', 'Listed Admin'], GOOD_PASSWORD);
    assert.equal(r.code, 0, r.stderr);
    const loner = uniqueEmail('listed-loner');
    assert.equal((await request(server.url, '/api/signup', { method: 'POST', json: { email: loner, password: GOOD_PASSWORD, display_name: 'Zed Loner' } })).status, 201);

    const companies = ndjson(await gatehouse(env, ['company', 'list', '--json']));
    assert.ok(companies.some((c) => c.id === company.id && c.name === 'Listing Co' && c.parent_id === null));

    const inCompany = ndjson(await gatehouse(env, ['account', 'list', '--company', String(company.id), '--json']));
    assert.deepEqual(inCompany.map((a) => a.email), [admin]);
    const byQuery = ndjson(await gatehouse(env, ['account', 'list', '--query', loner.slice(0, 20).toUpperCase(), '--json']));
    assert.deepEqual(byQuery.map((a) => a.email), [loner], 'the query matches emails case-insensitively');
    assert.equal(byQuery[0]?.state, 'open');
    assert.equal(ndjson(await gatehouse(env, ['account', 'list', '--limit', '1', '--json'])).length, 1);
    const percent = ndjson(await gatehouse(env, ['account', 'list', '--query', '%', '--json']));
    assert.ok(percent.every((a) => String(a.email).includes('%') || String(a.fullname).includes('%')), '% is matched literally');

    const shown = JSON.parse((await gatehouse(env, ['account', 'show', '--email', admin, '--json'])).stdout) as Record<string, unknown>;
    assert.equal(shown.email, admin);
    assert.deepEqual(shown.administrators, [{ id: (shown.administrators as Array<{ id: number }>)[0]?.id, company_id: company.id, name: 'Listed Admin', role: 'owner' }]);
    assert.ok(!JSON.stringify(shown).includes('argon2'), 'no password hash');
    const missing = await gatehouse(env, ['account', 'show', '--email', uniqueEmail('nobody')]);
    assert.equal(missing.code, 1);
  });

  it('audit --json prints NDJSON filtered by email, event and time', async () => {
    const email = uniqueEmail('audited');
    assert.equal((await request(server.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } })).status, 201);
    await request(server.url, '/api/v9/me', { auth: [email, 'wrong-password-zebra-73'] });
    assert.equal((await request(server.url, '/api/v9/me', { auth: [email, GOOD_PASSWORD] })).status, 200);
    const mine = ndjson(await gatehouse(env, ['audit', '--email', email, '--json']));
    assert.deepEqual(mine.map((e) => e.event), ['signup', 'login.failure', 'login.success']);
    for (const e of mine) {
      assert.match(String(e.at), /^\d{4}-\d\d-\d\dT/);
      assert.equal(e.ip, '127.0.0.1');
      assert.equal(typeof e.account, 'string');
    }
    const failures = ndjson(await gatehouse(env, ['audit', '--email', email, '--event', 'login.failure', '--since', '10m', '--json']));
    assert.equal(failures.length, 1);
    assert.deepEqual(ndjson(await gatehouse(env, ['audit', '--email', email, '--until', '2000-01-01', '--json'])), []);
    const bad = await gatehouse(env, ['audit', '--since', 'yesterday']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since must be/);
  });
});

describe(`AUDIT_RETENTION_DAYS (${BACKEND})`, () => {
  it('the janitor deletes audit rows older than the retention and keeps younger ones', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-retention-'));
    try {
      const env = testEnv(dir, { AUDIT_RETENTION_DAYS: '30' });
      const store = await openStore(loadConfig(env, dir));
      const day = 86_400_000;
      const now = Date.now();
      const tag = `retention-${process.pid}-${now}`;
      await store.appendAudit({ at: now - 40 * day, event: 'login.failure', account_id: null, ip: '192.0.2.40', user_agent: tag, detail: null });
      await store.appendAudit({ at: now - 20 * day, event: 'login.failure', account_id: null, ip: '192.0.2.20', user_agent: tag, detail: null });
      await store.close();
      const server = await startServer(loadConfig(env, dir), { logLevel: 'silent' });
      try {
        let left: string[] = [];
        for (let i = 0; i < 50; i++) {
          left = (await server.core.store.auditPage({ since: now - 60 * day, until: now - 10 * day }, 0, 1000)).filter((r) => r.user_agent === tag).map((r) => String(r.ip));
          if (left.length === 1) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.deepEqual(left, ['192.0.2.20']);
      } finally {
        await server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('gatehouse backup', () => {
  it(`PostgreSQL: explains that pg_dump is the tool`, async () => {
    const r = await gatehouse({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' }, ['backup', '--to', path.join(tmpdir(), 'never.db')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pg_dump/);
    assert.equal(r.stdout, '');
  });

  it('SQLite: an online backup under signup load is consistent and holds every signup acknowledged before it began', { skip: BACKEND !== 'sqlite' && 'SQLite only' }, async () => {
    const d = deployment();
    const proc = await startServerProcess(d, { HASH_CONCURRENCY: '1' });
    const copy = path.join(d.dataDir, 'backup.db');
    try {
      const acknowledged: Array<{ email: string; at: number }> = [];
      let stop = false;
      const deadline = Date.now() + 60_000;
      const worker = async (w: number) => {
        for (let i = 0; !stop && i < 200 && Date.now() < deadline; i++) {
          const email = uniqueEmail(`backup${w}`);
          const r = await request(proc.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } });
          if (r.status === 201) acknowledged.push({ email, at: Date.now() });
        }
      };
      const load = [0, 1, 2, 3].map(worker);
      while (acknowledged.length < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      const before = acknowledged.filter((a) => a.at < started).map((a) => a.email);
      const r = await gatehouse({ DATA_DIR: d.dataDir, DATABASE_URL: d.databaseUrl, GATEHOUSE_SECRET: d.secret }, ['backup', '--to', copy, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { integrity: string; pages: number };
      assert.equal(out.integrity, 'ok');
      // Keep writing a little after the backup, then stop the load.
      const afterCount = acknowledged.length;
      while (acknowledged.length < afterCount + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      stop = true;
      await Promise.all(load);

      assert.ok(existsSync(copy) && !existsSync(`${copy}-wal`), 'the copy is one file');
      const db = new BetterSqlite3(copy, { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        const emails = new Set((db.prepare('select email from accounts').all() as Array<{ email: string }>).map((row) => row.email));
        const lost = before.filter((e) => !emails.has(e));
        assert.deepEqual(lost, [], `every signup acknowledged before the backup began is in it (${before.length} of ${emails.size} rows)`);
        const workspaces = db.prepare('select count(*) as n from workspaces').get() as { n: number };
        assert.equal(workspaces.n, emails.size, 'every account in the copy has its workspace (signups are whole)');
        console.log(`backup under load: ${before.length} signups acknowledged before the backup, ${emails.size} accounts in the copy, ${acknowledged.length} acknowledged in all`);
      } finally {
        db.close();
      }
    } finally {
      await killAllServers();
      d.remove();
    }
  });
});
