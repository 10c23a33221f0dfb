// Starts a real Gatehouse on a loopback socket for a test, on the backend this run is for:
// a fresh SQLite file in a temp folder, or the run's PostgreSQL database (GATEHOUSE_TEST_DATABASE_URL).
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { startServer, type Running } from '../../src/server.js';

export const BACKEND: 'sqlite' | 'postgres' = process.env.GATEHOUSE_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

export interface TestServer extends Running {
  config: Config;
  dataDir: string;
  stop(): Promise<void>;
}

/** Environment for a test server; `env` overrides (e.g. SMTP_URL, LOGIN_MAX_FAILURES). */
export function testEnv(dataDir: string, env: Record<string, string> = {}): Record<string, string> {
  const database = BACKEND === 'postgres' ? (process.env.GATEHOUSE_TEST_DATABASE_URL ?? '') : path.join(dataDir, 'gatehouse.db');
  if (BACKEND === 'postgres' && database === '') throw new Error('GATEHOUSE_TEST_DATABASE_URL is not set for the PostgreSQL run');
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    MANAGEMENT_PORT: '0',
    DATA_DIR: dataDir,
    DATABASE_URL: database,
    GATEHOUSE_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'silent',
    // Every test calls from 127.0.0.1 (and on PostgreSQL shares one database), so the per-address limits
    // are lifted here; the throttling tests set their own and use X-Forwarded-For behind TRUSTED_PROXIES.
    LOGIN_ADDRESS_MAX_FAILURES: '1000000',
    RESET_MAIL_PER_ADDRESS: '1000000',
    SIGNUPS_PER_ADDRESS: '1000000',
    ...env,
  };
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-test-'));
  const config = loadConfig(testEnv(dataDir, env), dataDir);
  const running = await startServer(config, { logLevel: process.env.GATEHOUSE_TEST_LOG ?? 'silent' });
  return {
    ...running,
    config,
    dataDir,
    async stop() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** An email no other test (or earlier run on the same database) uses. */
export function uniqueEmail(tag = 'user'): string {
  counter++;
  return `${tag}.${process.pid}.${counter}.${randomBytes(4).toString('hex')}@example.com`;
}

export const GOOD_PASSWORD = 'lantern-orbit-47-quiet';
