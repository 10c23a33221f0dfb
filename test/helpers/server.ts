// Starts a real Gatehouse on a loopback socket for a test, on the backend this run is for:
// a fresh SQLite file in a temp folder, or the run's PostgreSQL database (GATEHOUSE_TEST_DATABASE_URL).
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { startServer, type Running } from '../../src/server.js';
import { RESPONSE_CHECK, ResponseCheck } from './response-check.js';

export const BACKEND: 'sqlite' | 'postgres' = process.env.GATEHOUSE_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

export interface TestServer extends Running {
  config: Config;
  dataDir: string;
  /** Every answer checked against /openapi.json (unless GATEHOUSE_TEST_RESPONSE_CHECK=0). */
  responses: ResponseCheck;
  /** Stops the server; fails when an answer it sent did not match the OpenAPI document. */
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

/**
 * A test server on `dataDir` with the environment `env` (from testEnv). stop() closes it and fails when an
 * answer it sent did not match the OpenAPI document; the folder stays (the caller made it).
 */
export async function startTestServerIn(dataDir: string, env: Record<string, string>): Promise<TestServer> {
  const config = loadConfig(env, dataDir);
  const responses = new ResponseCheck();
  const running = await startServer(config, {
    logLevel: process.env.GATEHOUSE_TEST_LOG ?? 'silent',
    ...(RESPONSE_CHECK ? { instrument: (app) => responses.attach(app) } : {}),
  });
  return {
    ...running,
    config,
    dataDir,
    responses,
    async stop() {
      await running.close();
      responses.assertClean();
    },
  };
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-test-'));
  const server = await startTestServerIn(dataDir, testEnv(dataDir, env));
  return {
    ...server,
    async stop() {
      try {
        await server.stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
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
