// Operator commands about the installation rather than its accounts: migrate, backup, audit export.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { loadConfig } from '../config.js';
import { emailKey } from '../core/validate.js';
import { openStore } from '../server.js';
import { migrate, openDatabase } from '../store/db.js';
import { createStore } from '../store/store.js';
import { printJsonLines, type Command } from './command.js';

class Usage extends Error {}

function parse(args: string[], options: Record<string, { type: 'string' | 'boolean' }>): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args, options: { ...options, json: { type: 'boolean' } }, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new Usage(err instanceof Error ? err.message : String(err));
  }
}

/** Wraps a command body: a Usage error prints the usage on stderr and exits 2. */
function command(name: string, summary: string, usage: string, body: (args: string[]) => Promise<number>): Command {
  return {
    name,
    summary,
    usage: () => usage,
    async run(args) {
      try {
        return await body(args);
      } catch (err) {
        if (err instanceof Usage) {
          console.error(`gatehouse ${name}: ${err.message}\n\n${usage}`);
          return 2;
        }
        throw err;
      }
    },
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const migrateCommand = command(
  'migrate',
  'apply database migrations and list them; --status lists applied and pending ones without applying',
  `usage: gatehouse migrate [--status] [--json]

  Applies every pending migration to DATABASE_URL and lists the ones it applied (the server also migrates
  on start). With --status nothing is applied: every migration this version knows is listed as applied
  (with its time) or pending. --json prints one JSON object per migration.`,
  async (args) => {
    const values = parse(args, { status: { type: 'boolean' } });
    const config = loadConfig();
    const open = openDatabase(config.database);
    try {
      const store = createStore(open.db, open.dialect);
      if (values.status) {
        const status = await store.migrationStatus();
        const rows = status.map((m) => ({ name: m.name, state: m.appliedAt === null ? 'pending' : 'applied', applied_at: iso(m.appliedAt) }));
        if (values.json) printJsonLines(rows);
        else for (const r of rows) console.log(`${r.state.padEnd(8)} ${r.name}${r.applied_at ? `  ${r.applied_at}` : ''}`);
        return 0;
      }
      const applied = await migrate(open);
      if (values.json) printJsonLines(applied.map((name) => ({ name, state: 'applied' })));
      else if (applied.length === 0) console.log('no migration pending');
      else for (const name of applied) console.log(`applied ${name}`);
      return 0;
    } finally {
      await open.db.destroy();
    }
  },
);

export const backupCommand = command(
  'backup',
  'copy a running SQLite database consistently (online backup); PostgreSQL: use pg_dump',
  `usage: gatehouse backup --to FILE [--json]

  SQLite: copies DATABASE_URL to FILE with SQLite's online backup API while the server keeps running and
  writing; the copy is one consistent moment of the database and is checked with PRAGMA integrity_check.
  FILE must not exist. Restore by stopping the server and putting FILE in place of the database file.
  PostgreSQL: this command does not back it up; use pg_dump (see docs/deploy.md).`,
  async (args) => {
    const values = parse(args, { to: { type: 'string' } });
    if (typeof values.to !== 'string' || values.to === '') throw new Usage('--to FILE is required');
    const config = loadConfig();
    if (config.database.kind !== 'sqlite') {
      console.error(
        'gatehouse backup: DATABASE_URL is PostgreSQL; back it up with pg_dump, which takes a consistent snapshot while ' +
          'the servers run, e.g.\n  pg_dump --format=custom --file=gatehouse.dump "$DATABASE_URL"\nand restore with pg_restore (see docs/deploy.md).',
      );
      return 1;
    }
    if (config.database.file === ':memory:') throw new Usage('DATABASE_URL is an in-memory database');
    if (!existsSync(config.database.file)) {
      console.error(`gatehouse backup: no database at ${config.database.file}`);
      return 1;
    }
    if (existsSync(values.to)) {
      console.error(`gatehouse backup: ${values.to} exists; give a new file name`);
      return 1;
    }
    const source = new BetterSqlite3(config.database.file, { fileMustExist: true });
    let pages: number;
    try {
      source.pragma('busy_timeout = 5000');
      const result = await source.backup(values.to);
      pages = result.totalPages;
    } finally {
      source.close();
    }
    // The copy is one self-contained file: out of WAL mode (the source's), so no -wal/-shm file goes with it.
    const copy = new BetterSqlite3(values.to, { fileMustExist: true });
    let integrity: string;
    try {
      copy.pragma('journal_mode = DELETE');
      integrity = String(copy.pragma('integrity_check', { simple: true }));
    } finally {
      copy.close();
    }
    const out = { file: values.to, pages, integrity };
    console.log(values.json ? JSON.stringify(out) : `backup written to ${values.to} (${pages} pages, integrity_check ${integrity})`);
    return integrity === 'ok' ? 0 : 1;
  },
);

/** A time for --since/--until: an ISO 8601 date or time, or an age such as 30m, 12h, 7d. */
function parseTime(name: string, raw: string, now: number): number {
  const age = /^(\d{1,6})([mhd])$/.exec(raw);
  if (age) return now - Number(age[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 'm' | 'h' | 'd'];
  const t = /^\d{4}-\d\d-\d\d/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(t)) throw new Usage(`--${name} must be an ISO 8601 time (2026-01-31 or 2026-01-31T12:00:00Z) or an age (30m, 12h, 7d), got "${raw}"`);
  return t;
}

export const auditCommand = command(
  'audit',
  'print the audit log (security events), filtered; --json prints NDJSON',
  `usage: gatehouse audit [--email EMAIL] [--since TIME] [--until TIME] [--event NAME] [--limit N] [--json]

  Prints audit events oldest first: time, event, account, client address, user agent and details. TIME is
  an ISO 8601 date or time (2026-01-31, 2026-01-31T12:00:00Z) or an age (30m, 12h, 7d). --event takes a
  name such as login.failure, login.lockout, password.reset.complete, sessions.revoke. --json prints one JSON
  object per event (NDJSON). Events older than AUDIT_RETENTION_DAYS (default 365) are deleted hourly by the
  server.`,
  async (args) => {
    const values = parse(args, { email: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, event: { type: 'string' }, limit: { type: 'string' } });
    const now = Date.now();
    const since = typeof values.since === 'string' ? parseTime('since', values.since, now) : undefined;
    const until = typeof values.until === 'string' ? parseTime('until', values.until, now) : undefined;
    let limit = Number.POSITIVE_INFINITY;
    if (typeof values.limit === 'string') {
      if (!/^[1-9]\d{0,8}$/.test(values.limit)) throw new Usage(`--limit must be a positive whole number, got "${values.limit}"`);
      limit = Number(values.limit);
    }
    const store = await openStore(loadConfig());
    try {
      let accountId: number | undefined;
      if (typeof values.email === 'string') {
        const account = await store.accountByEmailKey(emailKey(values.email));
        if (!account) {
          console.error(`gatehouse audit: no account with email "${values.email}"`);
          return 1;
        }
        accountId = account.id;
      }
      const publicIds = new Map<number, string>();
      let after = 0;
      let printed = 0;
      while (printed < limit) {
        const page = await store.auditPage({ accountId, since, until, event: typeof values.event === 'string' ? values.event : undefined }, after, Math.min(1000, limit - printed));
        if (page.length === 0) break;
        for (const row of page) {
          after = Number(row.id);
          let account: string | null = null;
          if (row.account_id !== null) {
            if (!publicIds.has(row.account_id)) publicIds.set(row.account_id, (await store.accountById(row.account_id))?.public_id ?? '');
            account = publicIds.get(row.account_id) || null;
          }
          const detail = row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>);
          const out = { id: after, at: new Date(row.at).toISOString(), event: row.event, account_id: row.account_id, account, ip: row.ip, user_agent: row.user_agent, detail };
          if (values.json) console.log(JSON.stringify(out));
          else console.log([out.at, out.event.padEnd(24), out.account ?? '-', out.ip ?? '-', detail ? JSON.stringify(detail) : ''].join('  '));
          printed++;
        }
      }
      return 0;
    } finally {
      await store.close();
    }
  },
);
