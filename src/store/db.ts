// Opens the database named by the configuration (a SQLite file or a PostgreSQL server) and migrates it.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type LogEvent } from 'kysely';
import { LRUCache } from 'lru-cache';
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { Config } from '../config.js';
import { StaticMigrations, type Dialect } from './migrations.js';
import { statementName } from './prepared.js';
import type { Database } from './schema.js';

/** The pg module, loaded only for a PostgreSQL database (issue 9: a SQLite server never loads it). */
export function loadPg(): typeof pg {
  const mod = createRequire(import.meta.url)('pg') as typeof pg;
  // PostgreSQL bigint (int8) columns hold millisecond times: return them as numbers, not strings.
  mod.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
  return mod;
}

/** Called with each query's duration and SQL text (the server's metrics install it; see src/observe/). */
let queryObserver: ((seconds: number, sql: string) => void) | undefined;
export function observeQueries(observer: ((seconds: number, sql: string) => void) | undefined): void {
  queryObserver = observer;
}
/** Reports one query's duration (Kysely's log hook, and the store's direct SQLite reads). */
export function reportQuery(seconds: number, sql: string): void {
  queryObserver?.(seconds, sql);
}
const log = (event: LogEvent) => {
  if (event.level === 'query') reportQuery(event.queryDurationMillis / 1000, event.query.sql);
};

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The SQLite connection itself (the cross-process revocation check reads its file name and PRAGMA data_version). */
  sqlite?: BetterSqlite3.Database;
  /** The PostgreSQL connection string (the revocation feed keeps its own LISTEN connection). */
  postgresUrl?: string;
}

/** Prepared statements kept per SQLite connection, keyed by SQL text (issue 9: no prepare per query). */
const SQLITE_STATEMENTS = 500;

/**
 * Kysely prepares every query anew; this keeps the prepared statements of a connection in a bounded LRU
 * keyed by SQL text. Statements are run to completion synchronously (Kysely never streams here), so one
 * statement object is never used by two queries at once.
 */
function cacheStatements(sqlite: BetterSqlite3.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const statements = new LRUCache<string, BetterSqlite3.Statement>({ max: SQLITE_STATEMENTS });
  sqlite.prepare = ((source: string) => {
    let s = statements.get(source);
    if (!s) {
      s = prepare(source);
      statements.set(source, s);
    }
    return s;
  }) as typeof sqlite.prepare;
}

type QueryText = string | { text: string };

/**
 * A pool whose clients send the hot-path queries (registered in prepared.ts) as named prepared statements:
 * PostgreSQL parses and plans each once per connection. Other queries go unnamed, as before.
 */
function namedStatements(pool: pg.Pool): pg.Pool {
  const named = new WeakSet<pg.PoolClient>();
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  const wrapped = async (): Promise<pg.PoolClient> => {
    const client = await connect();
    if (!named.has(client)) {
      named.add(client);
      const query = client.query.bind(client) as (q: unknown, values?: unknown) => Promise<unknown>;
      (client as unknown as { query: (q: QueryText, values?: unknown[]) => Promise<unknown> }).query = (q: QueryText, values?: unknown[]) => {
        const name = typeof q === 'string' ? statementName(q) : undefined;
        return name === undefined ? query(q, values) : query({ name, text: q, values });
      };
    }
    return client;
  };
  return new Proxy(pool, { get: (target, prop, receiver) => (prop === 'connect' ? wrapped : Reflect.get(target, prop, receiver) as unknown) });
}

export function openDatabase(database: Config['database']): OpenDatabase {
  if (database.kind === 'postgres') {
    // An unreachable server fails the connection after 10 s instead of the operating system's TCP timeout.
    const pg = loadPg();
    const pool = new pg.Pool({ connectionString: database.url, max: 10, connectionTimeoutMillis: 10_000 });
    // An idle client that loses its server must not crash the process.
    pool.on('error', () => undefined);
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: namedStatements(pool) }), log }), dialect: 'postgres', postgresUrl: database.url };
  }
  if (database.file !== ':memory:') mkdirSync(path.dirname(database.file), { recursive: true });
  const sqlite = new BetterSqlite3(database.file);
  // WAL with synchronous=FULL: every acknowledged commit is on disk before the answer leaves.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  cacheStatements(sqlite);
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), log }), dialect: 'sqlite', sqlite };
}

export async function migrate(open: OpenDatabase): Promise<string[]> {
  const migrator = new Migrator({ db: open.db, provider: new StaticMigrations(open.dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
