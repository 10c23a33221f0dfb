// Runs the compiled test suite twice: on SQLite, then on a fresh PostgreSQL database.
// PostgreSQL comes from GATEHOUSE_TEST_PG_URL (default: the local server as user postgres). When no server
// answers, the PostgreSQL half is skipped with a loud banner, or fails the run when
// GATEHOUSE_REQUIRE_POSTGRES=1 (as .ci/run sets). Ends with one line: "N passed, N failed".
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const testDir = path.join(root, 'dist', 'test');
const filter = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...findTests(full));
    else if (name.endsWith('.test.js')) out.push(full);
  }
  return out.sort();
}

const files = findTests(testDir).filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)));
const totals = { pass: 0, fail: 0, skipped: 0 };

function run(label, env) {
  return new Promise((resolve) => {
    const tapDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-tap-'));
    const tapFile = path.join(tapDir, 'out.tap');
    console.log(`\n=== ${label}: ${files.length} test files ===`);
    const child = spawn(
      process.execPath,
      ['--test', '--test-concurrency=2', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files],
      { stdio: 'inherit', env: { ...process.env, ...env } },
    );
    child.on('exit', (code) => {
      const tap = readFileSync(tapFile, 'utf8');
      const count = (k) => Number((tap.match(new RegExp(`^# ${k} (\\d+)$`, 'm')) ?? [])[1] ?? 0);
      const r = { pass: count('pass'), fail: count('fail'), skipped: count('skipped') + count('todo'), code };
      if (code !== 0 && r.fail === 0) r.fail = 1;
      totals.pass += r.pass;
      totals.fail += r.fail;
      totals.skipped += r.skipped;
      rmSync(tapDir, { recursive: true, force: true });
      console.log(`=== ${label}: ${r.pass} passed, ${r.fail} failed, ${r.skipped} skipped ===`);
      resolve(r);
    });
  });
}

async function postgresAdmin() {
  const url = process.env.GATEHOUSE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return { client, url };
  } catch (err) {
    await client.end().catch(() => undefined);
    return { error: err };
  }
}

await run('SQLite', { GATEHOUSE_TEST_BACKEND: 'sqlite' });

const admin = await postgresAdmin();
let pgSkipped = false;
if ('error' in admin) {
  pgSkipped = true;
  const banner = '!'.repeat(78);
  console.log(`\n${banner}\n!!! POSTGRESQL TESTS SKIPPED: no server answered (${admin.error.message})\n!!! Set GATEHOUSE_TEST_PG_URL or start PostgreSQL to run the PostgreSQL half.\n${banner}\n`);
} else {
  const name = `gatehouse_test_${process.pid}_${Date.now()}`;
  await admin.client.query(`create database ${name}`);
  const u = new URL(admin.url);
  u.pathname = `/${name}`;
  try {
    await run('PostgreSQL', { GATEHOUSE_TEST_BACKEND: 'postgres', GATEHOUSE_TEST_DATABASE_URL: u.toString() });
  } finally {
    await admin.client.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.client.end();
  }
}

console.log(`\nSQLite${pgSkipped ? ' only (PostgreSQL SKIPPED)' : ' and PostgreSQL'}`);
console.log(`${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
if (pgSkipped && process.env.GATEHOUSE_REQUIRE_POSTGRES === '1') {
  console.error('GATEHOUSE_REQUIRE_POSTGRES=1 but the PostgreSQL half was skipped: failing.');
  process.exit(1);
}
process.exit(totals.fail > 0 ? 1 : 0);
