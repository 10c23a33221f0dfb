// Opens the database named by the configuration (a SQLite file or a PostgreSQL server) and migrates it.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import { StaticMigrations, type Dialect } from './migrations.js';
import type { Database } from './schema.js';

// PostgreSQL bigint (int8) columns hold millisecond times: return them as numbers, not strings.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/** Called with each query's duration and SQL text (the server's metrics install it; see src/observe/). */
let queryObserver: ((seconds: number, sql: string) => void) | undefined;
export function observeQueries(observer: ((seconds: number, sql: string) => void) | undefined): void {
  queryObserver = observer;
}
const log = (event: LogEvent) => {
  if (event.level === 'query') queryObserver?.(event.queryDurationMillis / 1000, event.query.sql);
};

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
}

export function openDatabase(database: Config['database']): OpenDatabase {
  if (database.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: database.url, max: 10 });
    // An idle client that loses its server must not crash the process.
    pool.on('error', () => undefined);
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log }), dialect: 'postgres' };
  }
  if (database.file !== ':memory:') mkdirSync(path.dirname(database.file), { recursive: true });
  const sqlite = new BetterSqlite3(database.file);
  // WAL with synchronous=FULL: every acknowledged commit is on disk before the answer leaves.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), log }), dialect: 'sqlite' };
}

export async function migrate(open: OpenDatabase): Promise<string[]> {
  const migrator = new Migrator({ db: open.db, provider: new StaticMigrations(open.dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
