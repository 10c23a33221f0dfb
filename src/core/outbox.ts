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

const LEASE_MS = 60_000;
const MAX_ATTEMPTS = 8;

export class Outbox {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly keyring: Keyring,
    private readonly transport: MailTransport,
    private readonly clock: Clock,
    private readonly log: OutboxLogger,
  ) {}

  /** Queues a message inside the caller's transaction. */
  async enqueue(tx: Store, message: MailMessage): Promise<void> {
    await tx.enqueueMail(this.keyring.encrypt(JSON.stringify(message)), this.clock.now());
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

  /** Sends every due message once; safe to call at any time (calls do not overlap). */
  flush(): Promise<void> {
    this.running ??= this.sendDue().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sendDue(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const batch = await this.store.claimMail(now, 20, LEASE_MS).catch(() => []);
      if (batch.length === 0) return;
      for (const item of batch) {
        try {
          const message = JSON.parse(this.keyring.decrypt(item.payload_enc)) as MailMessage;
          await this.transport.send(message);
          await this.store.mailSent(item.id);
          observe.mailDelivery('sent');
        } catch (err) {
          observe.mailDelivery('failed');
          const attempts = item.attempts + 1;
          const reason = err instanceof Error ? err.message : String(err);
          this.log.warn({ mailId: item.id, attempts, reason }, 'mail delivery failed');
          if (attempts >= MAX_ATTEMPTS) await this.store.mailSent(item.id).catch(() => undefined);
          else await this.store.mailFailed(item.id, now + Math.min(2 ** attempts, 300) * 1000, reason).catch(() => undefined);
        }
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
