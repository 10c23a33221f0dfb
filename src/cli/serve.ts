// `gatehouse serve` (and `npm start`): start the server, print where it listens, stop cleanly on signals.
// Standard output carries only JSON lines: the start line is one too, printed whatever LOG_LEVEL says.
import { ConfigError, loadConfig } from '../config.js';
import { startServer } from '../server.js';

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
  const running = await startServer(config);
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
  process.stdout.write(`${JSON.stringify(line)}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.app.log.info({ signal, drain_seconds: config.shutdownDrainMs / 1000 }, 'shutting down');
    running.close(config.shutdownDrainMs).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
