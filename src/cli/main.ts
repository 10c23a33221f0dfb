// The `gatehouse` command: `serve` (default) and `migrate`; operator commands live beside this file.
import { ConfigError, loadConfig } from '../config.js';
import { openStore } from '../server.js';
import { OPERATOR_USAGE, runOperator } from './operator.js';
import { runServe } from './serve.js';
import { runMail } from './mail.js';

const USAGE = `usage: gatehouse [serve | migrate | company | admin | member | app | account | help]

  serve     start the server (the default)
  migrate   apply database migrations to DATABASE_URL and exit

Operator commands:
${OPERATOR_USAGE}

Settings come from the environment; see the README.`;

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case 'serve':
      await runServe();
      return -1;
    case 'migrate': {
      if (rest.length > 0) {
        console.error(`gatehouse migrate takes no arguments\n\n${USAGE}`);
        return 2;
      }
      const store = await openStore(loadConfig());
      await store.close();
      console.log('migrations applied');
      return 0;
    }
    case 'company':
    case 'admin':
    case 'member':
    case 'app':
    case 'account':
      return runOperator(command, rest);
    case 'mail':
      return runMail(rest);
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`gatehouse: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    console.error(`gatehouse: ${err instanceof ConfigError ? `configuration error: ${err.message}` : err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
