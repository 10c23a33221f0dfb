// The log destination: standard output written asynchronously, never blocking the process. A parent that
// stops reading our stdout fills the pipe; a synchronous logger (pino's default flushes synchronously at
// exit, retrying EAGAIN in a sleep loop) would then hang every log call and the exit itself. Here a full
// pipe only delays lines in a bounded memory queue; beyond the bound lines are dropped and counted, and a
// stop waits for the queue at most until its deadline (`drain`).
import { write as fsWrite } from 'node:fs';

const RETRY_MS = 50;

export class NonBlockingOutput {
  private queue: Buffer[] = [];
  private queued = 0;
  private writing = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** Lines dropped because the queue was full (or the reader went away). */
  dropped = 0;

  constructor(
    private readonly fd = 1,
    private readonly maxBytes = 4 * 1024 * 1024,
  ) {
    // Node's own stdout stream, made on first use, opens the descriptor in non-blocking mode (libuv). Without
    // that, a write to a full pipe would block a thread-pool thread for ever, and the process's exit waits for
    // its thread pool: the very hang this class exists to prevent. Nothing is written through that stream.
    if (fd === 1) void process.stdout.fd;
  }

  /** What pino calls for every line; never blocks. */
  write(chunk: string): boolean {
    const buf = Buffer.from(chunk, 'utf8');
    if (this.closed || this.queued + buf.length > this.maxBytes) {
      this.dropped++;
      return true;
    }
    this.queue.push(buf);
    this.queued += buf.length;
    if (!this.writing) this.pump();
    return true;
  }

  private pump(): void {
    if (this.queue.length === 0 || this.closed) {
      this.writing = false;
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    this.writing = true;
    const data = this.queue.length === 1 ? (this.queue[0] as Buffer) : Buffer.concat(this.queue);
    this.queue = [data];
    fsWrite(this.fd, data, 0, data.length, null, (err, written) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          setTimeout(() => this.pump(), RETRY_MS).unref();
          return;
        }
        // EPIPE (the reader is gone) or worse: logging stops, the server does not.
        this.closed = true;
        this.dropped += this.queue.length;
        this.queue = [];
        this.queued = 0;
        this.pump();
        return;
      }
      const rest = data.subarray(written);
      this.queued -= written;
      this.queue = rest.length > 0 ? [rest, ...this.queue.slice(1)] : this.queue.slice(1);
      this.pump();
    });
  }

  /** Waits until every queued line is written, or `ms` have passed (a stop never waits longer). */
  drain(ms: number): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

/** The process's one log destination (standard output). */
export const logOutput = new NonBlockingOutput();
