// The management listener (MANAGEMENT_HOST:MANAGEMENT_PORT, 127.0.0.1:9464 by default): a second, small
// HTTP server apart from the API port, so that API clients cannot read it unless the operator exposes it.
//   GET /metrics       Prometheus text format
//   GET /health/live   200 while the process serves
//   GET /health/ready  200 when the database answers, every migration is applied and the server is not
//                      draining; 503 with the failing check otherwise (a load balancer stops sending traffic)
import Fastify, { type FastifyInstance } from 'fastify';
import type { Core } from '../core/index.js';
import { lazyCompilers } from '../http/compilers.js';
import type { ServerMetrics } from './metrics.js';

export interface ManagementOptions {
  core: Core;
  metrics: ServerMetrics;
  /** True from the moment a graceful stop begins. */
  draining: () => boolean;
}

export interface Readiness {
  ready: boolean;
  checks: { database: 'ok' | 'unreachable'; migrations: 'ok' | 'pending' | 'unknown'; draining: boolean };
}

export async function readiness(core: Core, draining: boolean): Promise<Readiness> {
  let database: Readiness['checks']['database'] = 'ok';
  let migrations: Readiness['checks']['migrations'] = 'unknown';
  try {
    await core.store.ping();
    const status = await core.store.migrationStatus();
    migrations = status.every((m) => m.appliedAt !== null) ? 'ok' : 'pending';
  } catch {
    database = 'unreachable';
  }
  return { ready: !draining && database === 'ok' && migrations === 'ok', checks: { database, migrations, draining } };
}

export async function buildManagementApp(options: ManagementOptions): Promise<FastifyInstance> {
  // No schemas here: lazy compilers keep Fastify from loading Ajv and fast-json-stringify for this instance.
  const app = Fastify({ logger: false, forceCloseConnections: true, schemaController: lazyCompilers() });
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.header('Cache-Control', 'no-store');
    done(null, payload);
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await options.metrics.render();
    return reply.type(options.metrics.registry.contentType).send(text);
  });
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_req, reply) => {
    const r = await readiness(options.core, options.draining());
    return reply.code(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'not ready', ...r.checks });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'Not found' }));
  return app;
}
