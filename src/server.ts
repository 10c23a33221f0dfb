// Start-up in one place: config -> secrets -> store (migrated) -> core -> app. Used by `npm start`,
// the `gatehouse` command and the end-to-end tests, so they all run the same server.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createCore, type Core } from './core/index.js';
import { loadSecrets } from './core/keys.js';
import { buildApp, type AppOptions } from './http/app.js';
import { developmentTransport, smtpTransport } from './mail/transports.js';
import { migrate, observeQueries, openDatabase } from './store/db.js';
import { startRevocationFeed } from './store/revocation-feed.js';
import { setCoreObserver } from './core/metrics.js';
import { buildManagementApp } from './observe/management.js';
import { createMetrics } from './observe/metrics.js';
import { createStore, type Store } from './store/store.js';
import { warmTickQueue } from './tick-warm-up.js';

export interface Running {
  app: FastifyInstance;
  core: Core;
  url: string;
  /** The management listener (metrics, liveness, readiness). */
  managementUrl: string;
  /** True from the moment a graceful stop begins: readiness answers 503. */
  readonly draining: boolean;
  /** Begins a graceful stop: readiness goes 503 at once, the API keeps serving for `delayMs`, then closes. */
  close(delayMs?: number): Promise<void>;
}

export async function openStore(config: Config): Promise<Store> {
  const open = openDatabase(config.database);
  try {
    await migrate(open);
  } catch (err) {
    await open.db.destroy();
    throw err;
  }
  return createStore(open.db, open.dialect, { sqlite: open.sqlite, postgresUrl: open.postgresUrl });
}

export async function startServer(config: Config, options: AppOptions = {}): Promise<Running> {
  warmTickQueue();
  const secrets = loadSecrets(config.secrets, config.dataDir);
  const store = await openStore(config);
  const mail = config.smtpUrl ? smtpTransport(config.smtpUrl, config.mailFrom) : developmentTransport();
  const log: { target?: FastifyInstance } = {};
  const core = createCore({ config, store, secrets, mail, log: { warn: (obj, msg) => log.target?.log.warn(obj, msg) } });
  // Revocations committed by other processes reach this one's credential cache (issue 9).
  const feed = await startRevocationFeed(store, core.credentials);
  core.credentials.setGuard(feed);
  // Metrics: one registry per server; the core's observer and the store's query timing report into it.
  const metrics = createMetrics(core);
  setCoreObserver(metrics.observer);
  observeQueries((seconds, text) => metrics.query(seconds, text));
  const app = await buildApp(core, { metrics, ...options });
  log.target = app;
  let draining = false;
  const management = await buildManagementApp({ core, metrics, draining: () => draining });
  // Requests being handled (counted at the socket level, so aborted ones and 503s during close count too).
  // One shared listener, no closure per request ('close' is emitted once per response).
  let active = 0;
  const ended = () => active--;
  app.server.on('request', (_req, res) => {
    active++;
    res.on('close', ended);
  });
  await app.listen({ host: config.host, port: config.port });
  try {
    await management.listen({ host: config.management.host, port: config.management.port });
  } catch (err) {
    await app.close();
    await store.close();
    throw err;
  }
  core.outbox.start();
  // Housekeeping: dead sessions, codes and throttle rows are deleted hourly (and once at start), and audit
  // rows older than AUDIT_RETENTION_DAYS.
  const purge = () =>
    void (async () => {
      const now = core.clock.now();
      await store.purgeExpired(now);
      await store.purgeAudit(now - config.auditRetentionDays * 86_400_000);
    })().catch((err: unknown) => app.log.warn({ err: String(err) }, 'purge failed'));
  purge();
  const janitor = setInterval(purge, 3_600_000).unref();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  // PORT=0 picks a free port: the default public URL is the address actually listened on.
  if (!config.publicUrlConfigured && config.port === 0) config.publicUrl = `http://${host}:${port}`;
  const maddress = management.server.address();
  const mport = typeof maddress === 'object' && maddress ? maddress.port : config.management.port;
  const mhost = config.management.host.includes(':') ? `[${config.management.host}]` : config.management.host;
  let closing: Promise<void> | undefined;
  return {
    app,
    core,
    url: `http://${host}:${port}`,
    managementUrl: `http://${mhost}:${mport}`,
    get draining() {
      return draining;
    },
    close(delayMs = 0) {
      // Graceful: readiness 503 at once (a load balancer stops sending new requests), keep serving for the
      // drain delay, then stop accepting, let in-flight requests finish, then stop mail and close the store.
      draining = true;
      closing ??= (async () => {
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        clearInterval(janitor);
        // server.close() only drops connections idle at that instant: a keep-alive connection whose request
        // finishes during the drain would hold the process until keepAliveTimeout (72 s), and one with a
        // half-sent request for ever. Drop connections as they go idle, and all of them once no request
        // is being handled.
        const sweep = setInterval(() => (active === 0 ? app.server.closeAllConnections() : app.server.closeIdleConnections()), 50);
        try {
          await app.close();
        } finally {
          clearInterval(sweep);
        }
        await management.close();
        await core.outbox.stop();
        await feed.stop();
        await mail.close();
        await store.close();
      })();
      return closing;
    },
  };
}
