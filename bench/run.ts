// `npm run bench`: every server alone, one after the other, in one run and with the same load generator
// settings (autocannon, 32 loopback connections): a bare Fastify route (the ceiling), better-auth's
// get-session (the peer), each Gatehouse authenticated path on SQLite and PostgreSQL, token latency during a
// password-login storm, token throughput on a populated PostgreSQL database (`--scale` for 1 M accounts and
// 5 M sessions), idle memory and start time. Prints the side-by-side table and writes bench/RESULTS.md.
// The peers and the load generator live in bench/package.json (installed here when missing), never in the
// product's dependencies. Scenarios: bench/scenarios/index.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { BENCH_DIR, type Row, type Settings } from './lib.js';

function settings(argv: string[]): Settings {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    seconds: Number(arg('--seconds') ?? process.env.BENCH_SECONDS ?? 5),
    connections: Number(arg('--connections') ?? process.env.BENCH_CONNECTIONS ?? 32),
    scale: argv.includes('--scale'),
    rounds: Number(arg('--rounds') ?? process.env.BENCH_ROUNDS ?? 3),
    postgresUrl: process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
}

function ensurePeers(): void {
  if (existsSync(path.join(BENCH_DIR, 'node_modules', 'autocannon')) && existsSync(path.join(BENCH_DIR, 'node_modules', 'better-auth'))) return;
  process.stderr.write('bench: installing the peers and the load generator (bench/package.json)\n');
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: BENCH_DIR, stdio: 'inherit' });
}

async function main(): Promise<void> {
  const s = settings(process.argv.slice(2));
  ensurePeers();
  const loadBefore = loadavg()[0] ?? 0;
  const { groups } = await import('./scenarios/index.js');
  const rows: Row[] = [];
  const facts: string[] = [];
  const notes: Partial<Record<NonNullable<Row['section']>, string[]>> = {};
  for (const g of groups) {
    process.stderr.write(`bench: ${g.name}\n`);
    try {
      rows.push(...(await g.run(s)));
      facts.push(...(g.facts ?? []));
      for (const [section, lines] of Object.entries(g.notes ?? {})) (notes[section as NonNullable<Row['section']>] ??= []).push(...lines);
    } catch (err) {
      // One failing group must not lose the others' rows.
      process.stderr.write(`bench: ${g.name} failed: ${String(err)}\n`);
      facts.push(`${g.name}: failed (${String(err).split('\n')[0]})`);
    }
  }

  const ceiling = rows.find((r) => r.role === 'ceiling');
  const peer = rows.find((r) => r.role === 'peer');
  const ratio = (r: Row, to: Row | undefined) => (to ? (r.perSecond / to.perSecond).toFixed(2) : '–');
  const header = ['| scenario | req/s | vs bare Fastify | vs better-auth | p50 ms | p99 ms | errors |', '|---|---|---|---|---|---|---|'];
  // A row measured in turn with a bare route of its own is compared with that one (Row.ceiling).
  const toBare = (r: Row) => (r.ceiling ? (r.perSecond / r.ceiling).toFixed(2) : ratio(r, ceiling));
  // Likewise a row measured in turn with better-auth (Row.peer).
  const toPeer = (r: Row) => (r.peer ? (r.perSecond / r.peer).toFixed(2) : ratio(r, peer));
  const line = (r: Row) =>
    `| ${r.name}${r.note ? ` (${r.note})` : ''} | ${r.perSecond.toFixed(0)} | ${toBare(r)} | ${toPeer(r)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`;
  const section = (name: Row['section']) => rows.filter((r) => (r.section ?? 'main') === name).map(line);
  const gatewayRows = () => {
    const upstream = rows.find((r) => r.role === 'upstream');
    return rows
      .filter((r) => r.section === 'gateway')
      .map((r) => `| ${r.name} | ${r.perSecond.toFixed(0)} | ${ratio(r, upstream)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`);
  };
  const out = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench${s.scale ? ' -- --scale' : ''}\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} cores, ` +
      `autocannon with ${s.connections} loopback connections for ${s.seconds} s per row (after a 1 s warm-up), each server alone in its own process, ` +
      `each row of the side-by-side table the median of ${s.rounds} rounds (a server's rows take turns, and with them a bare Fastify route and better-auth's get-session, each in its own process, the rows named 'in turn with' above them, against which their 'vs bare Fastify' and 'vs better-auth' ratios are taken; the first rows are the bare route and better-auth alone), the storm rows the round of ${s.rounds} with the median p99 ratio, the population rows the round of ${s.rounds} with the median ratio (the two servers run side by side and take turns), the gateway rows one run each, ` +
      'the load generator in the bench process on the same machine. Gatehouse runs at LOG_LEVEL=warn (no request log lines) except in the row marked LOG_LEVEL=info. Ratios compare rows of this run; better-auth runs on SQLite only, ' +
      'so PostgreSQL rows are compared with its SQLite figure. ' +
      `Machine load average (1 min) at the start: ${loadBefore.toFixed(1)}, at the end: ${(loadavg()[0] ?? 0).toFixed(1)}; ` +
      `with more runnable processes than the ${cpus().length} cores, every figure here is depressed and noisy.`,
    '',
    ...header,
    ...section('main'),
    '',
    ...(notes.main ?? []),
    '',
    '## Token requests during a password-login storm (SQLite)',
    '',
    ...header,
    ...section('storm'),
    '',
    '## Token throughput on a populated PostgreSQL database',
    '',
    ...header,
    ...section('scale'),
    '',
    '## Memory and start',
    '',
    ...facts.map((f) => `- ${f}`),
    '',
    '## Gateway',
    '',
    'The sample upstream, nginx (`docs/nginx/gatehouse.conf`, when nginx is installed) and Gatehouse in separate processes, loaded like every ' +
      'row above; ratios to the upstream served alone. Every gateway row signs a fresh Gatehouse-Assertion (Ed25519) per request.',
    '',
    '| scenario | req/s | ratio to upstream alone | p50 ms | p99 ms | errors |',
    '|---|---|---|---|---|---|',
    ...gatewayRows(),
    '',
    ...(notes.gateway ?? []),
    '',
  ].join('\n');
  console.log(out);
  writeFileSync(path.join(BENCH_DIR, 'RESULTS.md'), out);
}

await main();
