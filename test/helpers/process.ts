// Runs the real server as a child process (`node dist/gatehouse.mjs`, what `npm start` runs), as an operator would, for the crash,
// shutdown and multi-instance tests: PORT=0 on loopback, the backend of this run, a secret shared by every
// process of a test. The URL comes from the "listening on <url>" line. Every child is tracked and killed in
// test cleanup, and with SIGKILL when the test process itself exits, so no test leaves a server behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND } from './server.js';

/** The built server (dist/gatehouse.mjs: the bundle `npm start` runs; its default command serves). */
export const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'gatehouse.mjs');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Everything the process wrote so far (for failure messages). */
  output(): string;
  /** What the process wrote to standard output alone (JSON log lines). */
  stdout(): string;
  /** Settles when the process has exited. */
  exited: Promise<Exit>;
  /** Sends a signal and waits for the exit; SIGKILL follows after `graceMs` if it has not exited by then. */
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit>;
}

const children = new Set<ChildProcess>();

function killNow(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

// Last line of defence: whatever ends the test process (a failed assertion, an uncaught error, the runner's
// SIGTERM on timeout) takes its servers with it.
process.once('exit', () => {
  for (const c of children) killNow(c);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    for (const c of children) killNow(c);
    process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
  });
}

/** SIGKILLs every server process still running (for `after` hooks) and waits for them to be gone. */
export async function killAllServers(): Promise<void> {
  await Promise.all(
    [...children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          killNow(c);
        }),
    ),
  );
}

/** A data directory and a database for a group of server processes that share one store and one secret. */
export interface Deployment {
  dataDir: string;
  /** The SQLite file (SQLite runs) or the PostgreSQL URL (PostgreSQL runs). */
  databaseUrl: string;
  secret: string;
  env: Record<string, string>;
  /** Removes the data directory (kill the processes first). */
  remove(): void;
}

export function deployment(env: Record<string, string> = {}): Deployment {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-proc-'));
  const databaseUrl = BACKEND === 'postgres' ? (process.env.GATEHOUSE_TEST_DATABASE_URL ?? '') : path.join(dataDir, 'gatehouse.db');
  if (databaseUrl === '') throw new Error('GATEHOUSE_TEST_DATABASE_URL is not set for the PostgreSQL run');
  return {
    dataDir,
    databaseUrl,
    secret: randomBytes(32).toString('hex'),
    env,
    remove: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/**
 * The environment of one server process of a deployment: only what node needs, then the deployment's settings,
 * then `env`. Nothing leaks in from the shell running the tests (a stray LOGIN_MAX_FAILURES or DATABASE_URL
 * would change what is tested).
 */
export function serverEnv(d: Deployment, env: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT']) {
    const v = process.env[k];
    if (v !== undefined) base[k] = v;
  }
  return {
    ...base,
    PORT: '0',
    MANAGEMENT_PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: d.dataDir,
    DATABASE_URL: d.databaseUrl,
    GATEHOUSE_SECRET: d.secret,
    LOG_LEVEL: 'warn',
    // All test traffic comes from 127.0.0.1: lift the per-address limits (as test/helpers/server.ts does).
    LOGIN_ADDRESS_MAX_FAILURES: '1000000',
    RESET_MAIL_PER_ADDRESS: '1000000',
    SIGNUPS_PER_ADDRESS: '1000000',
    ...d.env,
    ...env,
  };
}

/** Starts one server process of a deployment; `env` overrides settings for this process only. */
export async function startServerProcess(d: Deployment, env: Record<string, string> = {}, startTimeoutMs = 20000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: serverEnv(d, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let stdout = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    stdout += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });

  let timer: NodeJS.Timeout | undefined;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const look = () => {
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1] as string);
      };
      child.stdout?.on('data', look);
      child.once('error', reject);
      void exited.then((e) => reject(new Error(`server process exited before listening (code ${e.code}, signal ${e.signal}):\n${out}`)));
      timer = setTimeout(() => reject(new Error(`server process did not listen within ${startTimeoutMs} ms:\n${out}`)), startTimeoutMs);
    });
    return {
      url,
      pid: child.pid as number,
      child,
      output: () => out,
      stdout: () => stdout,
      exited,
      async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10000) {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        const late = setTimeout(() => killNow(child), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(late);
        }
      },
    };
  } catch (err) {
    killNow(child);
    await exited;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
