// Shared machinery of `npm run bench`: server processes, the load generator (autocannon, from bench/'s own
// package.json) and the result rows. Every server runs alone in its own process; the load generator runs in
// the bench process with the same settings for every row.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs as dist/bench/lib.js). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH_DIR = path.join(ROOT, 'bench');

export interface Settings {
  seconds: number;
  connections: number;
  /** --scale: the PostgreSQL population row uses 1 M accounts and 5 M sessions instead of the default. */
  scale: boolean;
  postgresUrl: string;
  /** Rounds of the side-by-side rows: each row is its median round (`--rounds N`). */
  rounds: number;
}

export interface Target {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A body per request (e.g. a new email each time), or one fixed body. */
  body?: string | (() => string);
  /** The status every answer must have; others count as errors. */
  expect: number;
  connections?: number;
  seconds?: number;
}

export interface Row {
  name: string;
  /** 'ceiling' and 'peer' rows are what the others are compared with; 'upstream' the gateway rows. */
  role?: 'ceiling' | 'peer' | 'upstream' | undefined;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  note?: string | undefined;
  /**
   * The bare route's req/s measured in the same rounds as this row, taking turns with it: the row's "vs bare
   * Fastify" ratio uses it instead of the ceiling row's (measured minutes earlier, maybe in another spell).
   */
  ceiling?: number | undefined;
  /**
   * better-auth's req/s measured in the same rounds as this row, taking turns with it: the row's "vs
   * better-auth" ratio uses it instead of the peer row's.
   */
  peer?: number | undefined;
  /** The table the row is printed in (default: the main, side-by-side table). */
  section?: 'main' | 'storm' | 'scale' | 'gateway' | undefined;
}

/** One server (or set of servers) run alone, producing rows; the registry is bench/scenarios/index.ts. */
export interface Group {
  name: string;
  run(s: Settings): Promise<Row[]>;
  /** Lines for the report that are not load rows (memory, start time). */
  facts?: string[];
  /** Lines printed under a section's table (targets computed from its rows). */
  notes?: Partial<Record<NonNullable<Row['section']>, string[]>>;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}
/** autocannon's run: a promise of the result that is also an emitter of each answer ('response'). */
type Run = Promise<AutocannonResult> & { on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): Run };
type Autocannon = (opts: Record<string, unknown>) => Run;

let cannon: Autocannon | undefined;
function autocannon(): Autocannon {
  cannon ??= createRequire(path.join(BENCH_DIR, 'package.json'))('autocannon') as Autocannon;
  return cannon;
}

/** Loads a target for its duration; every answer whose status is not `expect` counts as an error. */
export async function load(name: string, t: Target, s: Settings): Promise<Row> {
  const body = t.body;
  // Latencies from each answer's own time (autocannon's percentiles are whole milliseconds, too coarse for a
  // p99 under a millisecond, and the storm row compares two of them).
  const times: number[] = [];
  const run = autocannon()({
    url: t.url,
    method: t.method ?? 'GET',
    headers: t.headers ?? {},
    connections: t.connections ?? s.connections,
    duration: t.seconds ?? s.seconds,
    ...(typeof body === 'function' ? { requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body() }) }] } : body ? { body } : {}),
  });
  run.on('response', (_client, _status, _bytes, ms) => void times.push(ms));
  const r = await run;
  let wrong = r.errors + r.timeouts;
  for (const [code, stat] of Object.entries(r.statusCodeStats)) if (Number(code) !== t.expect) wrong += stat.count;
  times.sort((a, b) => a - b);
  const at = (q: number) => (times.length === 0 ? 0 : (times[Math.min(times.length - 1, Math.floor(q * times.length))] as number));
  const row = { name, perSecond: r.requests.total / r.duration, p50: at(0.5), p99: at(0.99), errors: wrong };
  process.stderr.write(`bench: ${name}: ${row.perSecond.toFixed(0)} req/s, p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, ${wrong} errors\n`);
  return row;
}

/**
 * Loads each target `s.rounds` times, round-robin (every target once per round), and returns each target's
 * median round by throughput (its p50 and p99 from that same round; errors of all rounds). On a shared
 * machine one 5 s sample can be off by a fifth either way; the median of interleaved rounds is not moved by
 * one bad moment, and interleaving spreads a slow spell over every target instead of one.
 */
export async function loadRounds(list: Array<[string, Target]>, s: Settings): Promise<Row[]> {
  const runs: Row[][] = list.map(() => []);
  for (let round = 1; round <= s.rounds; round++) {
    for (const [i, [name, t]] of list.entries()) (runs[i] as Row[]).push(await load(s.rounds > 1 ? `${name} (round ${round})` : name, t, s));
  }
  return list.map(([name], i) => {
    const rows = [...(runs[i] as Row[])].sort((a, b) => a.perSecond - b.perSecond);
    const median = rows[Math.floor((rows.length - 1) / 2)] as Row;
    return { ...median, name, errors: rows.reduce((sum, r) => sum + r.errors, 0) };
  });
}

/**
 * The round with the median `ratio` of rounds measured in turn, and every round's ratio for a row's note
 * (`; rounds: a, b, c`, each followed by `unit`; empty for a single round).
 */
export function medianRound<R extends { ratio: number }>(rounds: R[], unit = ''): { median: R; all: string } {
  const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor((rounds.length - 1) / 2)] as R;
  const all = rounds.length > 1 ? `; rounds: ${rounds.map((r) => `${r.ratio.toFixed(2)}${unit}`).join(', ')}` : '';
  return { median, all };
}

export interface Proc {
  url: string;
  child: ChildProcess;
  dir: string;
  env: Record<string, string>;
  /** Milliseconds from spawn to the "listening on" line. */
  startMs: number;
  stop(): Promise<void>;
}

/** Starts a process that prints `listening on http://...` and returns its URL. */
export async function startProcess(args: string[], env: Record<string, string>, options: { cwd?: string; dir?: string } = {}): Promise<Proc> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-'));
  const fullEnv = { PORT: '0', MANAGEMENT_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn', ...env };
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...fullEnv }, stdio: ['ignore', 'pipe', 'inherit'], cwd: options.cwd ?? ROOT });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const read = (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        // From here on the output is drained and dropped (at LOG_LEVEL=info, a line per request).
        child.stdout?.off('data', read);
        child.stdout?.resume();
        resolve(m[1] as string);
      }
    };
    child.stdout?.on('data', read);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${out}`)));
  });
  const startMs = performance.now() - t0;
  return {
    url,
    child,
    dir,
    env: fullEnv,
    startMs,
    async stop() {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        });
      }
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Gatehouse server process (dist/gatehouse.mjs, what `npm start` runs) with a fresh secret. */
export function startGatehouse(env: Record<string, string>, dir?: string): Promise<Proc> {
  return startProcess([path.join(ROOT, 'dist', 'gatehouse.mjs')], { GATEHOUSE_SECRET: randomBytes(32).toString('hex'), ...env }, dir === undefined ? {} : { dir });
}

/** Resident memory of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

/** The name=value pair of a Set-Cookie answer header. */
export function cookiePair(res: Response, name: string): string {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} cookie in the answer (${res.status})`);
  return line.split(';')[0] as string;
}
