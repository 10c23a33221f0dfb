// `gatehouse serve` (and `npm start`): start the server, print where it listens, stop cleanly on signals.
// Standard output carries only JSON lines: the start line is one too, printed whatever LOG_LEVEL says.
import { ConfigError, loadConfig } from '../config.js';
import { logOutput } from '../log.js';
import { startServer } from '../server.js';
import { idleHelperThreads, lowerHelperThreads } from './thread-priority.js';
import { describeStartFailure } from './start-errors.js';

export async function runServe(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`gatehouse: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  let running;
  try {
    running = await startServer(config);
  } catch (err) {
    // One line naming the cause and the setting, no stack (src/cli/start-errors.ts).
    console.error(`gatehouse: ${describeStartFailure(err, config)}`);
    process.exit(1);
  }
  // Start-up has used libuv's pool by now (module loading, the database), so its threads exist. Before the
  // start line: whoever waits for that line finds the priorities set.
  const lowered = lowerHelperThreads(config.hashing.helperNice);
  running.app.log.debug({ threads: lowered, nice: config.hashing.helperNice }, 'helper threads run below the event loop');
  if (config.hashing.helperPolicy === 'idle' && process.platform === 'linux') {
    const idle = await idleHelperThreads();
    if (idle.failure !== undefined) running.app.log.warn({ reason: idle.failure }, 'helper threads could not be put under SCHED_IDLE (HELPER_THREAD_POLICY=idle): only their nice value applies');
    else running.app.log.debug({ threads: idle.set }, 'helper threads run under SCHED_IDLE');
  }
  const where = config.database.kind === 'sqlite' ? `SQLite ${config.database.file}` : 'PostgreSQL';
  const line = {
    level: 30,
    time: new Date().toISOString(),
    pid: process.pid,
    msg: `Gatehouse listening on ${running.url} (public URL ${config.publicUrl}, ${where}); management on ${running.managementUrl}`,
    url: running.url,
    public_url: config.publicUrl,
    management_url: running.managementUrl,
    database: config.database.kind,
  };
  logOutput.write(`${JSON.stringify(line)}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // SHUTDOWN_DRAIN_SECONDS of readiness 503 first, then SHUTDOWN_TIMEOUT_SECONDS for the stop itself; past
    // both the process exits anyway. What was acknowledged is committed already.
    const deadlineMs = config.shutdownDrainMs + config.shutdownTimeoutSeconds * 1000;
    const started = Date.now();
    running.app.log.info({ signal, drain_seconds: config.shutdownDrainMs / 1000, deadline_seconds: deadlineMs / 1000 }, 'shutting down');
    // The log is flushed for what is left of the deadline (at most a second), never synchronously: a
    // parent that stopped reading our stdout cannot hold the exit.
    const exit = (code: number) => void logOutput.drain(Math.min(1000, Math.max(0, deadlineMs - (Date.now() - started)))).finally(() => process.exit(code));
    setTimeout(() => {
      running.app.log.error({ deadline_seconds: deadlineMs / 1000 }, 'graceful stop passed its deadline (SHUTDOWN_DRAIN_SECONDS + SHUTDOWN_TIMEOUT_SECONDS): exiting anyway');
      process.exit(1);
    }, deadlineMs);
    running.close(config.shutdownDrainMs).then(
      () => exit(0),
      () => exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
