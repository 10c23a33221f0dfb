// `npm start`: serve on the configuration from the environment (SQLite under ./data by default).
import { runServe } from './cli/serve.js';

await runServe();
