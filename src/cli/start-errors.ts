// Why the server could not start, as one line naming the cause and the setting to look at (security.md:
// "a bad value, an unreachable database or a port in use is one line ..., never a stack trace").
import type { Config } from '../config.js';

interface SystemError {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
  hostname?: unknown;
  address?: unknown;
  port?: unknown;
  message?: unknown;
}

function dbTarget(config: Config): string {
  if (config.database.kind === 'sqlite') return `SQLite file ${config.database.file}`;
  try {
    const u = new URL(config.database.url);
    return `PostgreSQL at ${u.hostname}:${u.port || '5432'} (user ${decodeURIComponent(u.username) || 'default'}, database ${u.pathname.slice(1) || 'default'})`;
  } catch {
    return 'PostgreSQL';
  }
}

function firstLine(value: unknown): string {
  return String(value ?? '').split('\n')[0]?.trim() ?? '';
}

/** One line (without the program name) saying why the start failed; never a stack, never a password. */
export function describeStartFailure(err: unknown, config: Config): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SystemError;
  const code = typeof e.code === 'string' ? e.code : '';
  const syscall = typeof e.syscall === 'string' ? e.syscall : '';
  const where = typeof e.path === 'string' ? e.path : '';
  const pg = config.database.kind === 'postgres';

  // Listening: the port and the host.
  if (syscall === 'listen' || syscall === 'bind') {
    // The management listener (metrics, health) binds its own port after the API's.
    const port = (e as { port?: unknown }).port;
    if (code === 'EADDRINUSE' && port === config.management.port && port !== config.port) {
      return `MANAGEMENT_PORT ${config.management.port} on MANAGEMENT_HOST ${config.management.host} is already in use (EADDRINUSE): stop the other process or set another MANAGEMENT_PORT (0 picks a free one)`;
    }
    if (code === 'EADDRINUSE') return `PORT ${config.port} on HOST ${config.host} is already in use (EADDRINUSE): stop the other process or set another PORT`;
    if (code === 'EADDRNOTAVAIL') return `HOST ${config.host} is not an address of this machine (EADDRNOTAVAIL): set HOST to one of its addresses, or 0.0.0.0`;
    if (code === 'EACCES') return `PORT ${config.port}: permission denied (EACCES): ports below 1024 need privileges; set PORT to 1024 or above`;
  }
  if (code === 'ENOTFOUND' && e.hostname === config.host) return `HOST ${config.host} does not resolve to an address (ENOTFOUND)`;

  // The database.
  if (pg) {
    const target = dbTarget(config);
    if (code === 'ECONNREFUSED') return `DATABASE_URL: ${target} refused the connection (ECONNREFUSED): is PostgreSQL running there?`;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `DATABASE_URL: the host of ${target} does not resolve (${code}): the database is unreachable`;
    if (['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'].includes(code) || /timeout/i.test(firstLine(e.message))) {
      return `DATABASE_URL: ${target} is unreachable (${code || 'connection timeout'})`;
    }
    if (code === '28P01') return `DATABASE_URL: ${target} refused the password (28P01): check the user and password in DATABASE_URL`;
    if (code === '28000') return `DATABASE_URL: ${target} refused the login (28000: ${firstLine(e.message)}): check the user in DATABASE_URL and pg_hba.conf`;
    if (code === '3D000') return `DATABASE_URL: ${target}: the database does not exist (3D000): create it first`;
    if (/^[0-9A-Z]{5}$/.test(code)) return `DATABASE_URL: ${target} answered with error ${code}: ${firstLine(e.message)}`;
  }
  if (code.startsWith('SQLITE_')) return `DATABASE_URL: cannot use ${dbTarget(config)} (${code}: ${firstLine(e.message)}): check the path and its permissions`;

  // Files: the data directory (the generated secret, the default SQLite file) or the SQLite file's folder.
  if (['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'ENOENT', 'ENOSPC', 'EISDIR'].includes(code) && where !== '') {
    const setting = where === config.dataDir || where.startsWith(`${config.dataDir}/`) ? `DATA_DIR ${config.dataDir}` : 'DATABASE_URL';
    return `${setting}: cannot write ${where} (${code}): the directory must be writable by this user`;
  }
  return `cannot start: ${firstLine(e.message) || String(err)}${code ? ` (${code})` : ''}`;
}
