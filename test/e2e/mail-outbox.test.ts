// Mail is never lost silently (security.md, "Data"): with SMTP down for longer than the retry window
// (shortened here by MAIL_RETRY_* settings), a message backs off, is then kept as dead with its last error,
// `gatehouse mail status` shows it, and `gatehouse mail retry` delivers it to a real SMTP server once it is up.
// Also: the default backoff reaches hours and retries for more than a day.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_RETRY, Outbox } from '../../src/core/outbox.js';
import { request } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServerIn, testEnv, uniqueEmail, type TestServer } from '../helpers/server.js';
import { resetCodeIn, startSmtp, type SmtpProcess } from '../helpers/smtp.js';
import { runGatehouse, type CliRun } from '../helpers/cli.js';
import { closedPort } from '../helpers/ports.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Status {
  pending: number;
  retrying: number;
  dead: number;
  oldest_age_seconds: number | null;
  last_errors: Array<{ id: number; attempts: number; dead: boolean; next_attempt_at: string | null; last_error: string }>;
}


describe('mail outbox: backoff, dead letters, operator status and retry', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let running: TestServer;
  let smtpPort: number;
  let smtp: SmtpProcess | undefined;

  const gatehouse = (args: string[]): Promise<CliRun> => runGatehouse(args, env);

  async function status(): Promise<Status> {
    const r = await gatehouse(['mail', 'status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Status;
  }

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-mail-'));
    smtpPort = await closedPort();
    // SMTP is down: nothing listens on smtpPort. Retries after 1 s, at most 1 s apart, for 3 s.
    env = testEnv(dataDir, {
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      MAIL_RETRY_BASE_SECONDS: '1',
      MAIL_RETRY_MAX_DELAY_SECONDS: '1',
      MAIL_RETRY_WINDOW_SECONDS: '3',
      RESET_MAIL_PER_EMAIL: '1000',
    });
    running = await startTestServerIn(dataDir, env);
  });
  after(async () => {
    await running.stop();
    await smtp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the default policy backs off to hours and retries for more than a day', () => {
    const outbox = new Outbox(running.core.store, running.core.keyring, { send: async () => undefined, close: async () => undefined }, running.core.clock, { warn: () => undefined });
    const delays: number[] = [];
    let total = 0;
    for (let attempt = 1; total < DEFAULT_RETRY.windowSeconds; attempt++) {
      const d = outbox.delaySeconds(attempt);
      delays.push(d);
      total += d;
    }
    console.log(`default retry delays (s): ${delays.join(', ')}; window ${DEFAULT_RETRY.windowSeconds} s`);
    assert.ok(Math.max(...delays) >= 3600, 'the longest delay is hours');
    assert.ok(DEFAULT_RETRY.windowSeconds >= 86400, 'retries go on for at least a day');
    assert.ok(delays.every((d, i) => i === 0 || d >= (delays[i - 1] as number)), 'delays never shrink');
  });

  it('SMTP down past the retry window: the mail is kept dead with its error, listed, and delivered by a retry once SMTP is up', async () => {
    const emails = [uniqueEmail('dead-a'), uniqueEmail('dead-b')];
    for (const email of emails) {
      assert.equal((await request(running.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } })).status, 201);
      assert.equal((await request(running.url, '/api/password_reset', { method: 'POST', json: { email } })).status, 200);
    }
    // Wait for both to go dead (a few attempts, 1 s apart, then past the 3 s window).
    const t0 = Date.now();
    for (;;) {
      const queue = await running.core.store.mailQueue();
      if (queue.filter((m) => m.dead_at !== null && /ECONNREFUSED|connect/i.test(m.last_error ?? '')).length >= 2) break;
      assert.ok(Date.now() - t0 < 60000, `not dead after 60 s: ${JSON.stringify(queue)}`);
      await sleep(500);
    }
    const s = await status();
    console.log(`mail status while SMTP is down: ${JSON.stringify(s)}`);
    const dead = s.last_errors.filter((e) => e.dead && /ECONNREFUSED|connect/i.test(e.last_error));
    assert.ok(dead.length >= 2, 'both messages are dead, with their last error');
    assert.ok(s.dead >= 2);
    assert.ok(dead.every((e) => e.attempts >= 2), 'each was retried before it was given up');
    assert.ok((s.oldest_age_seconds ?? 0) >= 3, 'the oldest age is shown');
    const text = await gatehouse(['mail', 'status']);
    assert.match(text.stdout, /dead [1-9]/);

    // Nothing is deleted while SMTP stays down: still dead a while later.
    await sleep(2500);
    const ids = dead.map((e) => e.id).sort((a, b) => a - b);
    const later = await running.core.store.mailQueue();
    for (const id of ids) assert.ok(later.some((m) => m.id === id && m.dead_at !== null), `mail ${id} still kept`);

    // SMTP comes back on the same address; the operator retries one by id, then every dead one.
    smtp = await startSmtp(smtpPort);
    const bad = await gatehouse(['mail', 'retry']);
    assert.equal(bad.code, 2, 'retry needs --id or --all-dead');
    assert.equal((await gatehouse(['mail', 'retry', '--id', '999999999'])).code, 1, 'unknown id');
    const one = await gatehouse(['mail', 'retry', '--id', String(ids[0]), '--json']);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(JSON.parse(one.stdout), { retried: 1 });
    const first = await smtp.waitFor(emails[0] as string, 20000);
    assert.ok(resetCodeIn(first).length >= 8, 'the reset mail arrives whole');
    const all = await gatehouse(['mail', 'retry', '--all-dead', '--json']);
    assert.equal(all.code, 0, all.stderr);
    assert.ok((JSON.parse(all.stdout) as { retried: number }).retried >= 1);
    await smtp.waitFor(emails[1] as string, 20000);
    // Delivered mail leaves the queue.
    const t1 = Date.now();
    while ((await running.core.store.mailQueue()).some((m) => ids.includes(m.id)) && Date.now() - t1 < 10000) await sleep(200);
    assert.ok(!(await running.core.store.mailQueue()).some((m) => ids.includes(m.id)), 'sent mail is removed from the queue');
  });
});
