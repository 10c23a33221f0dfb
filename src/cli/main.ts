// The `gatehouse` command. Every command is one entry of COMMANDS (name, one-line summary, usage, run);
// `--help` on any command or subcommand prints its usage and exits 0 before anything runs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.js';
import { packageRoot } from '../package-root.js';
import { wantsHelp, type Command } from './command.js';
import { OPERATOR_COMMANDS } from './operator.js';
import { auditCommand, backupCommand, migrateCommand } from './ops.js';
import { runServe } from './serve.js';
import { mailCommand } from './mail.js';

const serveCommand: Command = {
  name: 'serve',
  summary: 'start the server (the default)',
  usage: () => `usage: gatehouse serve

  Starts the API on HOST:PORT and the management listener (metrics, health) on MANAGEMENT_HOST:MANAGEMENT_PORT.
  Every setting is an environment variable (see the README). SIGTERM or SIGINT stops it gracefully.`,
  async run(args) {
    if (args.length > 0) {
      console.error(`gatehouse serve takes no arguments (settings are environment variables)`);
      return 2;
    }
    await runServe();
    return -1;
  },
};

/** Every command, in the order `gatehouse --help` lists them. Add a command here (one entry). */
const COMMANDS: Command[] = [serveCommand, migrateCommand, backupCommand, auditCommand, mailCommand, ...OPERATOR_COMMANDS];

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: gatehouse [COMMAND] [ARGS] [--json]     (gatehouse COMMAND --help for a command's usage)

${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

  --version  print the version
  --help     print this help

Settings come from the environment (the same as the server's); see the README and docs/deploy.md.`;
}

async function main(argv: string[]): Promise<number> {
  const [name = 'serve', ...rest] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    const target = COMMANDS.find((c) => c.name === rest[0]);
    console.log(target ? target.usage(rest.slice(1)) : usage());
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(`gatehouse ${version()}`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`gatehouse: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    console.log(command.usage(rest));
    return 0;
  }
  return command.run(rest);
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
