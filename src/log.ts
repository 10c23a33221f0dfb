// The log destination: standard output written asynchronously, never blocking the process. A parent that
// stops reading our stdout fills the pipe; a synchronous logger (pino's default flushes synchronously at
// exit, retrying EAGAIN in a sleep loop) would then hang every log call and the exit itself. Here a full
// pipe only delays lines in a bounded memory queue; beyond the bound lines are dropped and counted, and a
// stop waits for the queue at most until its deadline (`drain`).
import { write as fsWrite } from 'node:fs';

const RETRY_MS = 50;

export class NonBlockingOutput {
  /** Encoded data not yet written (the unwritten rest of a partial write first). */
  private queue: Buffer[] = [];
  /** Lines not yet encoded: encoded together when the next write starts (one buffer per write, not per line). */
  private lines: string[] = [];
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
    const bytes = Buffer.byteLength(chunk, 'utf8');
    if (this.closed || this.queued + bytes > this.maxBytes) {
      this.dropped++;
      return true;
    }
    this.lines.push(chunk);
    this.queued += bytes;
    if (!this.writing) this.pump();
    return true;
  }

  private pump(): void {
    if (this.lines.length > 0 && !this.closed) {
      this.queue.push(Buffer.from(this.lines.length === 1 ? (this.lines[0] as string) : this.lines.join(''), 'utf8'));
      this.lines = [];
    }
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
        this.dropped += this.queue.length + this.lines.length;
        this.queue = [];
        this.lines = [];
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
    if (!this.writing && this.queue.length === 0 && this.lines.length === 0) return Promise.resolve();
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
