// The peer: better-auth (bench/package.json) with email and password on SQLite (better-sqlite3, WAL), served
// by node:http through its Node handler. BA_COOKIE_CACHE=1 turns on its session cookie cache (a signed copy
// of the session in a second cookie, checked without the database for its max age). Plain JavaScript run
// from bench/, so its modules resolve from bench/node_modules.
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';

const dir = process.env.DATA_DIR ?? '.';
const port = Number(process.env.PORT ?? 0);
const db = new Database(path.join(dir, 'better-auth.db'));
db.pragma('journal_mode = WAL');
const auth = betterAuth({
  database: db,
  secret: process.env.GATEHOUSE_SECRET ?? 'bench-secret-bench-secret-bench-secret',
  baseURL: `http://127.0.0.1:${port}`,
  emailAndPassword: { enabled: true },
  session: process.env.BA_COOKIE_CACHE === '1' ? { cookieCache: { enabled: true, maxAge: 300 } } : {},
  rateLimit: { enabled: false },
  logger: { disabled: true },
  telemetry: { enabled: false },
});
const { runMigrations } = await getMigrations(auth.options);
await runMigrations();
const server = http.createServer(toNodeHandler(auth));
server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
