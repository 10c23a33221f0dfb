// Every setting of the server, read from the environment, typed and validated once at start.
// A bad value stops the process with a message naming the variable; nothing reads process.env elsewhere.
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { loadRules, type Rule } from './gateway/rules.js';

export interface SessionLifetime {
  /** Seconds of inactivity after which a session dies. */
  idle: number;
  /** Seconds after creation after which a session dies, however active. */
  max: number;
}

export interface Config {
  production: boolean;
  host: string;
  port: number;
  publicUrl: string;
  /** True when the operator set PUBLIC_URL (reset mails then carry a link to the reset page). */
  publicUrlConfigured: boolean;
  /** True when the public URL is https: every cookie gets `Secure`. */
  secureCookies: boolean;
  /**
   * True when the public URL is https, or http on a loopback host (localhost, 127.0.0.0/8, [::1]): browsers and
   * curl treat those as secure contexts and keep `Secure` cookies there, so the `__Secure-`/`__Host-` prefixed
   * cookies (accounts session, anti-forgery) get `Secure` and work on http://localhost too.
   */
  secureContext: boolean;
  /** PAGES_DIR: a folder whose templates, strings and assets override the shipped account pages. */
  pagesDir: string | undefined;
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };
  dataDir: string;
  /** Server secrets, newest first; undefined means "generate into dataDir" (refused in production). */
  secrets: string[] | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  logLevel: string;
  password: { minLength: number; maxLength: number; rejectCommon: boolean };
  /**
   * helperNice: the nice value of every thread but the event loop's (0: left alone); helperPolicy 'idle' puts
   * them under SCHED_IDLE as well ('normal', the default: their policy is left alone); see
   * src/cli/thread-priority.ts.
   */
  hashing: { concurrency: number; queue: number; helperNice: number; helperPolicy: 'idle' | 'normal' };
  login: { maxFailures: number; addressMaxFailures: number; lockoutSeconds: number };
  rateLimits: { windowSeconds: number; resetMailPerEmail: number; resetMailPerAddress: number; signupsPerAddress: number };
  /** Proxies whose X-Forwarded-For is believed (addresses, CIDR ranges or proxy-addr keywords); empty: none. */
  trustedProxies: string[];
  basicCacheSeconds: number;
  /** Verified credentials kept in memory (issue 9): lifetime of an entry (0: off) and entries at most. */
  credentialCache: { seconds: number; size: number };
  resetCode: { ttlSeconds: number; maxTries: number };
  sessions: { accounts: SessionLifetime; accountsRemembered: SessionLifetime; api: SessionLifetime; authToken: SessionLifetime };
  sessionTouchSeconds: number;
  bodyLimit: number;
  /** Milliseconds a client has to send a whole request (slow-loris defence; also bounds a graceful stop). */
  requestTimeoutMs: number;
  /** Seconds a graceful stop may take; past them the process exits anyway. */
  shutdownTimeoutSeconds: number;
  /** Mail delivery retries: first delay, longest delay, and how long to retry before a message is marked dead. */
  mailRetry: { baseSeconds: number; maxDelaySeconds: number; windowSeconds: number };
  /** The management listener (metrics, liveness, readiness); port 0 picks a free one. */
  management: { host: string; port: number };
  /** Audit log rows older than this many days are deleted by the hourly janitor. */
  auditRetentionDays: number;
  /** On SIGTERM, readiness answers 503 and the API keeps serving this long before it stops accepting. */
  shutdownDrainMs: number;
  /** The gateway (docs/gateway.md): route rules, the built-in proxy's upstream, the assertion's audience. */
  gateway: GatewayConfig;
}

export interface GatewayConfig {
  rules: Rule[];
  /** GATEWAY_UPSTREAM origin; undefined: no built-in proxy (the forward-auth endpoint is always on). */
  upstream: string | undefined;
  audience: string;
  upstreamTimeoutMs: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** One of a closed list of words (LOG_LEVEL and the like); anything else names the setting and the list. */
function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function parseDatabase(raw: string, cwd: string): Config['database'] {
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url: raw };
  }
  let file = raw;
  if (raw.startsWith('sqlite://')) file = raw.slice('sqlite://'.length);
  else if (raw.startsWith('sqlite:')) file = raw.slice('sqlite:'.length);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw new ConfigError(`DATABASE_URL must be a SQLite file path, sqlite: URL or postgres:// URL (got scheme "${raw.split(':')[0]}")`);
  }
  if (file === '') throw new ConfigError('DATABASE_URL names an empty SQLite file path');
  return { kind: 'sqlite', file: file === ':memory:' ? file : path.resolve(cwd, file) };
}

function parseSecrets(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const secrets = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const s of secrets) {
    if (s.length < 32) throw new ConfigError('GATEHOUSE_SECRET: each secret must be at least 32 characters (use `openssl rand -hex 32`)');
  }
  return secrets;
}

const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** TRUSTED_PROXIES: comma-separated addresses, CIDR ranges (10.0.0.0/8, fd00::/8) or loopback/linklocal/uniquelocal. */
function parseGateway(env: Env): GatewayConfig {
  let rules: Rule[];
  try {
    rules = loadRules(env.GATEWAY_RULES && env.GATEWAY_RULES !== '' ? env.GATEWAY_RULES : undefined);
  } catch (err) {
    throw new ConfigError(`GATEWAY_RULES: ${(err as Error).message}`);
  }
  let upstream: string | undefined;
  const raw = env.GATEWAY_UPSTREAM;
  if (raw !== undefined && raw !== '') {
    let u: URL | undefined;
    try {
      u = new URL(raw);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || (u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.username !== '') {
      throw new ConfigError(`GATEWAY_UPSTREAM must be an http(s)://host:port origin without path, got "${raw}"`);
    }
    upstream = u.origin;
  }
  const audience = env.GATEWAY_AUDIENCE && env.GATEWAY_AUDIENCE !== '' ? env.GATEWAY_AUDIENCE : 'gatehouse-upstream';
  return { rules, upstream, audience, upstreamTimeoutMs: int(env, 'GATEWAY_UPSTREAM_TIMEOUT_SECONDS', 30, 1, 3600) * 1000 };
}

function parseTrustedProxies(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((entry) => {
    const item = entry.trim();
    if (PROXY_KEYWORDS.has(item)) return item;
    const [address = '', prefix, ...rest] = item.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || rest.length > 0) {
      throw new ConfigError(`TRUSTED_PROXIES: "${item}" is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal`);
    }
    return item;
  });
}

/** http://localhost, *.localhost, 127.0.0.0/8 and [::1]: secure contexts for browsers and curl alike. */
function loopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function directory(env: Env, name: string, cwd: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const dir = path.resolve(cwd, raw);
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new ConfigError(`${name} must name an existing directory, got "${raw}"`);
  return dir;
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const production = (env.NODE_ENV ?? '') === 'production';
  const host = env.HOST && env.HOST !== '' ? env.HOST : '127.0.0.1';
  // A host name or an IP address (brackets are not part of HOST, even for IPv6).
  if (isIP(host) === 0 && (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/.test(host) || /^[\d.]+$/.test(host))) {
    throw new ConfigError(`HOST must be an IP address or a host name to listen on, got "${host}"`);
  }
  const port = int(env, 'PORT', 8080, 0, 65535);
  const dataDir = path.resolve(cwd, env.DATA_DIR && env.DATA_DIR !== '' ? env.DATA_DIR : 'data');
  const database = parseDatabase(env.DATABASE_URL && env.DATABASE_URL !== '' ? env.DATABASE_URL : path.join(dataDir, 'gatehouse.db'), cwd);

  const urlHost = host.includes(':') ? `[${host}]` : host;
  let publicUrl = env.PUBLIC_URL && env.PUBLIC_URL !== '' ? env.PUBLIC_URL : `http://${urlHost}:${port}`;
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    publicUrl = u.origin + u.pathname.replace(/\/+$/, '');
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
  }

  const smtpUrl = env.SMTP_URL && env.SMTP_URL !== '' ? env.SMTP_URL : undefined;
  if (smtpUrl !== undefined) {
    let u: URL;
    try {
      u = new URL(smtpUrl);
    } catch {
      throw new ConfigError('SMTP_URL is not a valid URL (expected smtp://host:port or smtps://user:pass@host:465)');
    }
    if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new ConfigError('SMTP_URL must start with smtp:// or smtps://');
  }
  const secrets = parseSecrets(env.GATEHOUSE_SECRET);
  if (production && secrets === undefined) {
    throw new ConfigError('GATEHOUSE_SECRET is required when NODE_ENV=production (one or more comma-separated secrets of 32+ characters, newest first)');
  }
  if (production && smtpUrl === undefined) {
    throw new ConfigError('SMTP_URL is required when NODE_ENV=production (password reset codes must reach their owners)');
  }

  const minLength = int(env, 'PASSWORD_MIN_LENGTH', 8, 1, 256);
  const day = 86400;
  return {
    production,
    host,
    port,
    publicUrl,
    publicUrlConfigured: Boolean(env.PUBLIC_URL),
    secureCookies: publicUrl.startsWith('https:'),
    secureContext: publicUrl.startsWith('https:') || loopbackUrl(publicUrl),
    pagesDir: directory(env, 'PAGES_DIR', cwd),
    database,
    dataDir,
    secrets,
    smtpUrl,
    mailFrom: env.MAIL_FROM && env.MAIL_FROM !== '' ? env.MAIL_FROM : 'Gatehouse <no-reply@localhost>',
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    password: { minLength, maxLength: 256, rejectCommon: bool(env, 'PASSWORD_REJECT_COMMON', true) },
    hashing: {
      // One core is left to the event loop, so a login storm does not starve token checks (bench/RESULTS.md).
      concurrency: int(env, 'HASH_CONCURRENCY', Math.max(1, availableParallelism() - 1), 1, 64),
      queue: int(env, 'HASH_QUEUE', 64, 0, 100000),
      helperNice: int(env, 'HELPER_THREAD_NICE', 10, 0, 19),
      helperPolicy: oneOf(env, 'HELPER_THREAD_POLICY', 'normal', ['normal', 'idle'] as const),
    },
    login: {
      maxFailures: int(env, 'LOGIN_MAX_FAILURES', 5, 1, 1000),
      addressMaxFailures: int(env, 'LOGIN_ADDRESS_MAX_FAILURES', 100, 1, 1_000_000),
      lockoutSeconds: int(env, 'LOGIN_LOCKOUT_SECONDS', 300, 1, 7 * day),
    },
    rateLimits: {
      windowSeconds: int(env, 'RATE_LIMIT_WINDOW_SECONDS', 3600, 1, 7 * day),
      resetMailPerEmail: int(env, 'RESET_MAIL_PER_EMAIL', 5, 1, 1_000_000),
      resetMailPerAddress: int(env, 'RESET_MAIL_PER_ADDRESS', 20, 1, 1_000_000),
      signupsPerAddress: int(env, 'SIGNUPS_PER_ADDRESS', 20, 1, 1_000_000),
    },
    trustedProxies: parseTrustedProxies(env.TRUSTED_PROXIES),
    basicCacheSeconds: int(env, 'BASIC_AUTH_CACHE_SECONDS', 60, 0, 3600),
    credentialCache: { seconds: int(env, 'CREDENTIAL_CACHE_SECONDS', 60, 0, 3600), size: int(env, 'CREDENTIAL_CACHE_SIZE', 10000, 0, 10_000_000) },
    resetCode: { ttlSeconds: int(env, 'RESET_CODE_TTL_SECONDS', 3600, 60, 7 * day), maxTries: int(env, 'RESET_CODE_MAX_TRIES', 5, 1, 100) },
    sessions: {
      accounts: { idle: int(env, 'SESSION_IDLE_SECONDS', day, 60, 365 * day), max: int(env, 'SESSION_MAX_SECONDS', 7 * day, 60, 365 * day) },
      accountsRemembered: {
        idle: int(env, 'SESSION_REMEMBER_IDLE_SECONDS', 30 * day, 60, 365 * day),
        max: int(env, 'SESSION_REMEMBER_MAX_SECONDS', 30 * day, 60, 365 * day),
      },
      api: { idle: int(env, 'API_SESSION_IDLE_SECONDS', day, 60, 365 * day), max: int(env, 'API_SESSION_MAX_SECONDS', day, 60, 365 * day) },
      // BookingBug Auth-Tokens: 24 h sliding as JRNI documents, and at most 30 days however active.
      authToken: { idle: int(env, 'BB_TOKEN_IDLE_SECONDS', day, 1, 365 * day), max: int(env, 'BB_TOKEN_MAX_SECONDS', 30 * day, 1, 365 * day) },
    },
    sessionTouchSeconds: int(env, 'SESSION_TOUCH_SECONDS', 60, 0, 3600),
    bodyLimit: int(env, 'BODY_LIMIT_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_SECONDS', 30, 1, 3600) * 1000,
    shutdownTimeoutSeconds: int(env, 'SHUTDOWN_TIMEOUT_SECONDS', 10, 1, 3600),
    mailRetry: {
      baseSeconds: int(env, 'MAIL_RETRY_BASE_SECONDS', 60, 1, day),
      maxDelaySeconds: int(env, 'MAIL_RETRY_MAX_DELAY_SECONDS', 4 * 3600, 1, 7 * day),
      windowSeconds: int(env, 'MAIL_RETRY_WINDOW_SECONDS', 3 * day, 1, 30 * day),
    },
    gateway: parseGateway(env),
    management: {
      host: env.MANAGEMENT_HOST && env.MANAGEMENT_HOST !== '' ? env.MANAGEMENT_HOST : '127.0.0.1',
      port: int(env, 'MANAGEMENT_PORT', 9464, 0, 65535),
    },
    auditRetentionDays: int(env, 'AUDIT_RETENTION_DAYS', 365, 1, 100 * 365),
    shutdownDrainMs: int(env, 'SHUTDOWN_DRAIN_SECONDS', 0, 0, 600) * 1000,
  };
}
