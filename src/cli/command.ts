// The shape of one `gatehouse` command. main.ts keeps them in one table: adding a command with its help is
// one entry there (and its module). `--help`/`-h` anywhere in a command's arguments prints its usage and
// exits 0 before anything runs, so help has no side effects.

export interface Command {
  /** The first word: `gatehouse <name> ...`. */
  name: string;
  /** One line for `gatehouse --help`. */
  summary: string;
  /** The full usage, printed by `gatehouse <name> --help`. `args` are the words after the name (a subcommand's help may be narrower). */
  usage(args: string[]): string;
  /** Runs the command; resolves to the exit code, or -1 for a command that keeps running (serve). */
  run(args: string[]): Promise<number>;
}

export function wantsHelp(args: string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/** One JSON object per line (lists with --json). */
export function printJsonLines(rows: readonly object[]): void {
  for (const row of rows) console.log(JSON.stringify(row));
}
