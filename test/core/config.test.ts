// loadConfig (src/config.ts): documented defaults, every bad value refused with a ConfigError naming its
// variable, and production refusing to start without its secrets.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

const CWD = '/srv/gatehouse';
const SECRET = 'c'.repeat(64);

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({}, CWD);
    assert.equal(c.port, 8080);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.production, false);
    assert.equal(c.dataDir, path.join(CWD, 'data'));
    assert.deepEqual(c.database, { kind: 'sqlite', file: path.join(CWD, 'data', 'gatehouse.db') });
    assert.equal(c.publicUrl, 'http://127.0.0.1:8080');
    assert.equal(c.publicUrlConfigured, false);
    assert.equal(c.secureCookies, false);
    assert.equal(c.secureContext, true, 'http://127.0.0.1 is a secure context for browsers and curl');
    assert.equal(c.pagesDir, undefined);
    assert.equal(c.secrets, undefined, 'generated into the data folder');
    assert.equal(c.smtpUrl, undefined);
    assert.deepEqual(c.password, { minLength: 8, maxLength: 256, rejectCommon: true });
    assert.deepEqual(c.login, { maxFailures: 5, addressMaxFailures: 100, lockoutSeconds: 300 });
    assert.deepEqual(c.rateLimits, { windowSeconds: 3600, resetMailPerEmail: 5, resetMailPerAddress: 20, signupsPerAddress: 20 });
    assert.deepEqual(c.trustedProxies, []);
    assert.equal(c.bodyLimit, 64 * 1024);
    assert.equal(c.requestTimeoutMs, 30_000);
    assert.equal(c.resetCode.ttlSeconds, 3600);
    assert.deepEqual(c.sessions.authToken, { idle: 86400, max: 30 * 86400 }, 'BookingBug Auth-Token: 24 h sliding, 30 days absolute');
    assert.equal(c.hashing.concurrency, Math.max(1, availableParallelism() - 1), 'one core left to the event loop');
    assert.equal(c.hashing.queue, 64);
    assert.equal(c.hashing.helperNice, 10);
    assert.equal(c.hashing.helperPolicy, 'normal', 'SCHED_IDLE only when the operator asks (README, HELPER_THREAD_POLICY)');
  });

  it('counts https and loopback http as secure contexts (prefixed cookies get Secure), not other plain-http hosts', () => {
    const secure = (url: string) => loadConfig({ PUBLIC_URL: url }, CWD).secureContext;
    assert.equal(secure('https://auth.example.com'), true);
    assert.equal(secure('http://localhost:8080'), true);
    assert.equal(secure('http://app.localhost:8080'), true);
    assert.equal(secure('http://127.0.0.1:8080'), true);
    assert.equal(secure('http://127.1.2.3'), true);
    assert.equal(secure('http://[::1]:8080'), true);
    assert.equal(secure('http://192.168.1.5:8080'), false);
    assert.equal(secure('http://auth.example.com'), false);
    assert.equal(secure('http://localhost.example.com'), false);
    assert.equal(loadConfig({ PUBLIC_URL: 'http://localhost:8080' }, CWD).secureCookies, false, 'unprefixed cookies: Secure only over https');
  });

  it('reads PAGES_DIR as an existing directory', () => {
    assert.equal(loadConfig({ PAGES_DIR: '.' }, process.cwd()).pagesDir, process.cwd());
    assert.throws(() => loadConfig({ PAGES_DIR: 'no-such-dir-here' }, CWD), (e: unknown) => e instanceof ConfigError && /^PAGES_DIR /.test(e.message));
  });

  it('reads the values it is given', () => {
    const c = loadConfig(
      {
        PORT: '9000',
        HOST: '::1',
        DATA_DIR: 'var',
        DATABASE_URL: 'sqlite:db/g.db',
        PUBLIC_URL: 'https://auth.example.com/',
        GATEHOUSE_SECRET: ` ${SECRET} , ${'d'.repeat(40)} `,
        SMTP_URL: 'smtp://127.0.0.1:2525',
        PASSWORD_MIN_LENGTH: '6',
        PASSWORD_REJECT_COMMON: 'off',
        LOGIN_MAX_FAILURES: '3',
      },
      CWD,
    );
    assert.equal(c.port, 9000);
    assert.equal(c.host, '::1');
    assert.equal(c.dataDir, path.join(CWD, 'var'));
    assert.deepEqual(c.database, { kind: 'sqlite', file: path.join(CWD, 'db', 'g.db') });
    assert.equal(c.publicUrl, 'https://auth.example.com');
    assert.equal(c.secureCookies, true);
    assert.deepEqual(c.secrets, [SECRET, 'd'.repeat(40)], 'newest first, trimmed');
    assert.equal(c.password.minLength, 6);
    assert.equal(c.password.rejectCommon, false);
    assert.equal(c.login.maxFailures, 3);
    assert.deepEqual(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/gate' }, CWD).database, { kind: 'postgres', url: 'postgres://u:p@db:5432/gate' });
    assert.equal(loadConfig({ HOST: '::1' }, CWD).publicUrl, 'http://[::1]:8080');
  });

  it('refuses bad values with a ConfigError naming the variable', () => {
    const bad: Array<[string, string]> = [
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['PORT', '-1'],
      ['PORT', '80.5'],
      ['PASSWORD_MIN_LENGTH', '0'],
      ['PASSWORD_MIN_LENGTH', '257'],
      ['PASSWORD_REJECT_COMMON', 'maybe'],
      ['HASH_CONCURRENCY', '0'],
      ['HASH_QUEUE', 'lots'],
      ['HELPER_THREAD_NICE', '20'],
      ['HELPER_THREAD_NICE', '-5'],
      ['HELPER_THREAD_POLICY', 'realtime'],
      ['LOGIN_MAX_FAILURES', '0'],
      ['LOGIN_LOCKOUT_SECONDS', '1e3'],
      ['LOGIN_ADDRESS_MAX_FAILURES', '0'],
      ['RESET_MAIL_PER_EMAIL', 'many'],
      ['SIGNUPS_PER_ADDRESS', '0'],
      ['RATE_LIMIT_WINDOW_SECONDS', '0'],
      ['TRUSTED_PROXIES', '10.0.0.0/33'],
      ['TRUSTED_PROXIES', '10.0.0.1,proxy.example'],
      ['TRUSTED_PROXIES', '::1/129'],
      ['BODY_LIMIT_BYTES', '10'],
      ['SESSION_IDLE_SECONDS', '5'],
      ['RESET_CODE_TTL_SECONDS', 'soon'],
      ['DATABASE_URL', 'mysql://db/gate'],
      ['DATABASE_URL', 'postgres://[bad'],
      ['DATABASE_URL', 'sqlite:'],
      ['PUBLIC_URL', 'ftp://example.com'],
      ['PUBLIC_URL', 'not a url'],
      ['SMTP_URL', 'http://mail.example.com'],
      ['SMTP_URL', 'smtp://[bad'],
      ['GATEHOUSE_SECRET', 'too-short'],
      ['GATEHOUSE_SECRET', `${SECRET},short`],
    ];
    for (const [name, value] of bad) {
      assert.throws(
        () => loadConfig({ [name]: value }, CWD),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, `${name}=${value}: ${String(err)}`);
          assert.ok(err.message.includes(name), `${name}=${value}: message "${err.message}" names the variable`);
          return true;
        },
      );
    }
  });

  it('checks enumerations against their list, HOST as HOST, and reads the shutdown and mail retry settings', () => {
    const named = (name: string) => (err: unknown) => err instanceof ConfigError && err.message.startsWith(name);
    assert.throws(() => loadConfig({ LOG_LEVEL: 'verbose' }, CWD), named('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'));
    assert.throws(() => loadConfig({ LOG_LEVEL: 'INFO' }, CWD), named('LOG_LEVEL'));
    assert.equal(loadConfig({ LOG_LEVEL: 'trace' }, CWD).logLevel, 'trace');
    for (const host of ['999.1.1.1', '1.2.3', 'bad host', '-x', '[::1]']) assert.throws(() => loadConfig({ HOST: host }, CWD), named('HOST'), host);
    for (const host of ['0.0.0.0', '::', '::1', 'localhost', 'gatehouse.internal']) assert.equal(loadConfig({ HOST: host }, CWD).host, host);
    const c = loadConfig({}, CWD);
    assert.equal(c.shutdownTimeoutSeconds, 10);
    assert.deepEqual(c.mailRetry, { baseSeconds: 60, maxDelaySeconds: 4 * 3600, windowSeconds: 3 * 86400 });
    assert.throws(() => loadConfig({ SHUTDOWN_TIMEOUT_SECONDS: '0' }, CWD), named('SHUTDOWN_TIMEOUT_SECONDS'));
    assert.throws(() => loadConfig({ MAIL_RETRY_WINDOW_SECONDS: 'a day' }, CWD), named('MAIL_RETRY_WINDOW_SECONDS'));
  });

  it('reads TRUSTED_PROXIES as addresses, ranges and proxy-addr keywords', () => {
    assert.deepEqual(loadConfig({ TRUSTED_PROXIES: ' 10.0.0.0/8, 192.168.1.7 ,fd00::/8,loopback' }, CWD).trustedProxies, ['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'loopback']);
  });

  it('production refuses to start without GATEHOUSE_SECRET (and without SMTP_URL)', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:25' }, CWD), (err: unknown) => err instanceof ConfigError && err.message.includes('GATEHOUSE_SECRET'));
    assert.throws(() => loadConfig({ NODE_ENV: 'production', GATEHOUSE_SECRET: '  ', SMTP_URL: 'smtp://127.0.0.1:25' }, CWD), (err: unknown) => err instanceof ConfigError && err.message.includes('GATEHOUSE_SECRET'));
    assert.throws(() => loadConfig({ NODE_ENV: 'production', GATEHOUSE_SECRET: SECRET }, CWD), (err: unknown) => err instanceof ConfigError && err.message.includes('SMTP_URL'));
    const c = loadConfig({ NODE_ENV: 'production', GATEHOUSE_SECRET: SECRET, SMTP_URL: 'smtp://127.0.0.1:25' }, CWD);
    assert.equal(c.production, true);
    assert.deepEqual(c.secrets, [SECRET]);
  });
});
