// `gatehouse serve` (and `npm start`): start the server, print where it listens, stop cleanly on signals.
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
  console.log(`Gatehouse listening on ${running.url} (public URL ${config.publicUrl}, ${where})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.app.log.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
