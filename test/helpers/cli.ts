// Runs the operator command (`bin/gatehouse.js`) as a child process, as an operator would, and collects what
// it printed: for the CLI suites and the suites that change state through the CLI.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'gatehouse.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to the command's standard input (which is then closed). */
  stdin?: string;
  /** false: the command sees only PATH and `env`, not the test process's environment (default true). */
  inheritEnv?: boolean;
}

/** Runs `gatehouse <args>` with `env` and waits for it to exit. */
export function runGatehouse(args: string[], env: Record<string, string>, options: CliOptions = {}): Promise<CliRun> {
  const base = options.inheritEnv === false ? { PATH: process.env.PATH ?? '' } : process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
