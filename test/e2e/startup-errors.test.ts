// Every bad setting or start-up failure is one line on stderr naming the cause and the setting, a non-zero
// exit, and no stack trace (security.md, "Process"). Each case starts the real server process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

/** The built server, what `npm start` runs (dist/gatehouse.mjs). */
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'gatehouse.mjs');
const PG = process.env.GATEHOUSE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(dataDir: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', MANAGEMENT_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      // A start that succeeds is a failure of the test: stop it.
      if (/listening on/.test(stdout)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Exit non-zero with exactly one line on stderr that matches every pattern, and no stack trace anywhere. */
function assertOneLine(r: Run, ...patterns: RegExp[]): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.notEqual(r.code, 0, `exit non-zero (stdout: ${r.stdout})`);
  assert.notEqual(r.code, null, 'exited by itself');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  for (const p of patterns) assert.match(lines[0] as string, p);
  assert.doesNotMatch(r.stderr + r.stdout, /^\s+at /m, 'no stack trace');
  console.log(`  ${lines[0]}`);
}

describe('start-up failures are one line naming the cause and the setting', () => {
  let dataDir: string;
  let busy: Server;
  let busyPort: number;
  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-start-'));
    busy = createServer();
    busyPort = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)));
  });
  after(() => {
    busy.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('LOG_LEVEL outside its list', async () => {
    assertOneLine(await start(dataDir, { LOG_LEVEL: 'verbose' }), /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"/);
  });

  it('HOST that is no address names HOST (not PUBLIC_URL)', async () => {
    const r = await start(dataDir, { HOST: '999.1.1.1' });
    assertOneLine(r, /HOST must be an IP address or a host name/);
    assert.doesNotMatch(r.stderr, /PUBLIC_URL/);
  });

  it('HOST that is not an address of this machine', async () => {
    assertOneLine(await start(dataDir, { HOST: '192.0.2.55' }), /HOST 192\.0\.2\.55 is not an address of this machine/);
  });

  it('a port in use', async () => {
    assertOneLine(await start(dataDir, { PORT: String(busyPort) }), new RegExp(`PORT ${busyPort} on HOST 127\\.0\\.0\\.1 is already in use`));
  });

  it('a management port in use', async () => {
    assertOneLine(await start(dataDir, { MANAGEMENT_PORT: String(busyPort) }), new RegExp(`MANAGEMENT_PORT ${busyPort} on MANAGEMENT_HOST 127\\.0\\.0\\.1 is already in use`));
  });

  it('an unwritable data directory', async () => {
    const file = path.join(dataDir, 'a-file');
    writeFileSync(file, 'not a directory');
    const bad = path.join(file, 'data');
    assertOneLine(await start(dataDir, { DATA_DIR: bad }), /^gatehouse: DATA_DIR /, /cannot write/, /ENOTDIR/);
  });

  it('PostgreSQL refusing the connection', async () => {
    const r = await start(dataDir, { DATABASE_URL: `postgres://postgres@127.0.0.1:1/gatehouse`, GATEHOUSE_SECRET: 'x'.repeat(64) });
    assertOneLine(r, /^gatehouse: DATABASE_URL: /, /refused the connection \(ECONNREFUSED\)/);
  });

  it('an unreachable PostgreSQL host', async () => {
    const r = await start(dataDir, { DATABASE_URL: 'postgres://postgres@gatehouse-no-such-host.invalid:5432/gatehouse', GATEHOUSE_SECRET: 'x'.repeat(64) });
    assertOneLine(r, /^gatehouse: DATABASE_URL: /, /unreachable|does not resolve/);
  });

  it('PostgreSQL refusing the login (unknown user; a wrong password is the same class, 28P01)', async () => {
    const u = new URL(PG);
    u.username = 'gatehouse_no_such_role';
    u.password = 'wrong-password';
    const r = await start(dataDir, { DATABASE_URL: u.toString(), GATEHOUSE_SECRET: 'x'.repeat(64) });
    assertOneLine(r, /^gatehouse: DATABASE_URL: /, /refused the (login|password) \(28/);
    assert.doesNotMatch(r.stderr, /wrong-password/, 'the password is not printed');
  });

  it('a PostgreSQL database that does not exist', async () => {
    const u = new URL(PG);
    u.pathname = '/gatehouse_no_such_database';
    assertOneLine(await start(dataDir, { DATABASE_URL: u.toString(), GATEHOUSE_SECRET: 'x'.repeat(64) }), /^gatehouse: DATABASE_URL: /, /does not exist \(3D000\)/);
  });
});
