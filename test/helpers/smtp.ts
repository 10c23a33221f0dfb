// Runs the SMTP server process (smtp-server-process.ts) for a test and collects the mail it receives.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface ReceivedMail {
  to: string[];
  from: string | null;
  subject: string;
  text: string;
}

export interface SmtpProcess {
  url: string;
  mails: ReceivedMail[];
  /** Waits for a mail to `address` that arrived after `since` mails had been seen. */
  waitFor(address: string, timeoutMs?: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

/** Starts the SMTP server process, on port `listenOn` when given (0: a free one). */
export async function startSmtp(listenOn = 0): Promise<SmtpProcess> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'smtp-server-process.js');
  const child: ChildProcess = spawn(process.execPath, [script, String(listenOn)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const mails: ReceivedMail[] = [];
  const waiters: Array<() => void> = [];
  let buffer = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`SMTP server process exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('LISTENING ')) resolve(Number(line.slice(10)));
        else if (line.startsWith('MAIL ')) {
          mails.push(JSON.parse(line.slice(5)) as ReceivedMail);
          for (const w of waiters.splice(0)) w();
        }
      }
    });
  });
  const taken = new Set<ReceivedMail>();
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    async waitFor(address: string, timeoutMs = 10000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = mails.find((m) => !taken.has(m) && m.to.some((t) => t.toLowerCase() === address.toLowerCase()));
        if (found) {
          taken.add(found);
          return found;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no mail to ${address} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 250));
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

/** The reset code in a reset mail's text. */
export function resetCodeIn(mail: ReceivedMail): string {
  const m = /reset code is: ([A-Z0-9]+)/.exec(mail.text);
  if (!m) throw new Error(`no reset code in mail: ${mail.text}`);
  return m[1] as string;
}

/** Waits for the next mail to `address` that carries a reset code (security notices in between are skipped). */
export async function nextResetCode(smtp: SmtpProcess, address: string, timeoutMs = 10000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = await smtp.waitFor(address, Math.max(1, deadline - Date.now()));
    if (/reset code is: /.test(mail.text)) return resetCodeIn(mail);
  }
}
