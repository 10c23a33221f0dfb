// `gatehouse serve` (and `npm start`): start the server, print where it listens, stop cleanly on signals.
import { ConfigError, loadConfig } from '../config.js';
import { logOutput } from '../log.js';
import { startServer } from '../server.js';
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
  const where = config.database.kind === 'sqlite' ? `SQLite ${config.database.file}` : 'PostgreSQL';
  console.log(`Gatehouse listening on ${running.url} (public URL ${config.publicUrl}, ${where})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadlineMs = config.shutdownTimeoutSeconds * 1000;
    const started = Date.now();
    running.app.log.info({ signal, deadlineSeconds: config.shutdownTimeoutSeconds }, 'shutting down');
    // The log is flushed for what is left of the deadline (at most a second), never synchronously: a
    // parent that stopped reading our stdout cannot hold the exit.
    const exit = (code: number) => void logOutput.drain(Math.min(1000, Math.max(0, deadlineMs - (Date.now() - started)))).finally(() => process.exit(code));
    // SHUTDOWN_TIMEOUT_SECONDS: past it the process exits anyway. What was acknowledged is committed already.
    setTimeout(() => {
      running.app.log.error({ deadlineSeconds: config.shutdownTimeoutSeconds }, 'graceful stop passed SHUTDOWN_TIMEOUT_SECONDS: exiting anyway');
      process.exit(1);
    }, deadlineMs);
    running.close().then(
      () => exit(0),
      () => exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
