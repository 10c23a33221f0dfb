// The mail outbox: a message is written (encrypted, since it may carry a reset code) in the same
// transaction as the state that needs it, and a worker sends it afterwards with retries. A crash between
// the commit and the send loses nothing; the next start sends what is left.
import type { Store } from '../store/store.js';
import type { Clock } from './context.js';
import type { Keyring } from './keys.js';
import { observe } from './metrics.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Where mail goes: SMTP in production, the log in development (src/mail/). */
export interface MailTransport {
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

export interface OutboxLogger {
  warn(obj: object, msg: string): void;
}

/** Backoff and give-up settings (MAIL_RETRY_*): delays double from `baseSeconds` up to `maxDelaySeconds`. */
export interface RetryPolicy {
  baseSeconds: number;
  maxDelaySeconds: number;
  /** Past this long since retries began, a failing message is marked dead (kept, with its last error). */
  windowSeconds: number;
}

/**
 * A queued job instead of a finished mail: the worker runs its handler and sends the mail it returns, or
 * nothing. A request that must take the same time whatever it finds (a password reset request) queues one
 * job and lets the worker decide. A handler that writes state for its mail calls `keep(tx, mail)` inside
 * its own transaction, so the state and the mail that carries it are stored together.
 */
export type JobHandler = (data: Record<string, unknown>, keep: (tx: Store, mail: MailMessage) => Promise<void>) => Promise<MailMessage | undefined>;

interface JobPayload {
  job: string;
  data: Record<string, unknown>;
}

const LEASE_MS = 60_000;
const UNREADABLE_RETRY_MS = 2000;

export const DEFAULT_RETRY: RetryPolicy = { baseSeconds: 60, maxDelaySeconds: 4 * 3600, windowSeconds: 3 * 86400 };

export class Outbox {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly jobs = new Map<string, JobHandler>();

  constructor(
    private readonly store: Store,
    private readonly keyring: Keyring,
    private readonly transport: MailTransport,
    private readonly clock: Clock,
    private readonly log: OutboxLogger,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  /** Queues a message inside the caller's transaction. */
  async enqueue(tx: Store, message: MailMessage): Promise<void> {
    await tx.enqueueMail(this.keyring.encrypt(JSON.stringify(message)), this.clock.now());
  }

  /** Queues a job for a registered handler inside the caller's transaction (encrypted like a mail). */
  async enqueueJob(tx: Store, job: string, data: Record<string, unknown>): Promise<void> {
    if (!this.jobs.has(job)) throw new Error(`no handler for outbox job ${job}`);
    const payload: JobPayload = { job, data };
    await tx.enqueueMail(this.keyring.encrypt(JSON.stringify(payload)), this.clock.now());
  }

  registerJob(job: string, handler: JobHandler): void {
    this.jobs.set(job, handler);
  }

  /** The delay before retry number `attempts` (1 = after the first failure): doubling, capped. */
  delaySeconds(attempts: number): number {
    return Math.min(this.retry.baseSeconds * 2 ** Math.min(attempts - 1, 40), this.retry.maxDelaySeconds);
  }

  /** Starts the worker: sends due mail now and then every `intervalMs`. */
  start(intervalMs = 2000): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      void this.flush().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, intervalMs).unref();
      });
    };
    tick();
  }

  /**
   * Starts a flush once the current request has been answered (the next turn of the event loop), so the
   * worker's writes never delay an answer that is already decided (reset requests answer in equal time).
   */
  kick(): void {
    setImmediate(() => void this.flush());
  }

  /** Sends every due message once; safe to call at any time (calls do not overlap). */
  flush(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.sendDue().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** A job becomes the mail its handler decides on (stored in its place), or is done when there is none. */
  private async expand(id: number, payload: JobPayload): Promise<MailMessage | undefined> {
    const handler = this.jobs.get(payload.job);
    if (!handler) throw new Error(`no handler for outbox job ${payload.job}`);
    const mail = await handler(payload.data, (tx, m) => tx.replaceMailPayload(id, this.keyring.encrypt(JSON.stringify(m))));
    if (!mail) await this.store.mailSent(id);
    return mail;
  }

  private async sendDue(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const now = this.clock.now();
      const batch = await this.store.claimMail(now, 20, LEASE_MS, this.keyring.keyIds.map((id) => `${id}.`)).catch(() => []);
      if (batch.length === 0) return;
      for (const item of batch) {
        let plain: string;
        try {
          plain = this.keyring.decrypt(item.payload_enc);
        } catch {
          // Queued by an instance with other secrets (a misconfigured deployment, or tests sharing one
          // database): not a delivery attempt; left for an instance that can read it, and visible in status.
          await this.store.mailReleased(item.id, this.clock.now() + UNREADABLE_RETRY_MS, 'this instance cannot decrypt the message (GATEHOUSE_SECRET differs)').catch(() => undefined);
          continue;
        }
        try {
          const payload = JSON.parse(plain) as MailMessage | JobPayload;
          const message = 'job' in payload ? await this.expand(item.id, payload) : payload;
          if (!message) continue;
          await this.transport.send(message);
          await this.store.mailSent(item.id);
          observe.mailDelivery('sent');
        } catch (err) {
          observe.mailDelivery('failed');
          const attempts = item.attempts + 1;
          const reason = err instanceof Error ? err.message : String(err);
          const failedAt = this.clock.now();
          // Never deleted undelivered: past the retry window the message is kept, dead, with its last error.
          if (failedAt - item.retry_since >= this.retry.windowSeconds * 1000) {
            this.log.warn({ mailId: item.id, attempts, reason }, 'mail delivery failed for good: marked dead (gatehouse mail status / retry)');
            await this.store.mailDead(item.id, failedAt, reason).catch(() => undefined);
          } else {
            this.log.warn({ mailId: item.id, attempts, reason }, 'mail delivery failed');
            await this.store.mailFailed(item.id, failedAt + this.delaySeconds(attempts) * 1000, reason).catch(() => undefined);
          }
        }
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
