// Password reset requests take the same time for known and unknown emails, in both dialects (security.md,
// "Enumeration"): both paths count the limits and queue one outbox job; the worker decides afterwards.
// Measured: medians over 200 strictly interleaved pairs (order within each pair random), after a warm-up;
// the worker's work is awaited between requests so it never lands inside a measured request. A loaded
// machine may spoil one round: up to three rounds are run, and one within 5 % passes. Figures are printed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admin, application, bb, company, type App } from '../helpers/bookingbug.js';
import { request } from '../helpers/http.js';
import { GOOD_PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/server.js';
import { startSmtp, type SmtpProcess } from '../helpers/smtp.js';

const PAIRS = 200;
const WARMUP = 30;
const ROUNDS = 3;
const BOUND = 0.05;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

describe('reset requests: the same time for known and unknown emails', () => {
  let smtp: SmtpProcess;
  let server: TestServer;
  let app: App;
  let companyId: number;

  before(async () => {
    smtp = await startSmtp();
    server = await startTestServer({ SMTP_URL: smtp.url, RESET_MAIL_PER_EMAIL: '1000000' });
    companyId = await company(server, 'Timing');
    app = await application(server, companyId);
  });
  after(async () => {
    await server.stop();
    await smtp.stop();
  });

  async function measure(label: string, send: (email: string) => Promise<number>, known: string, unknown: string): Promise<void> {
    const time = async (email: string): Promise<number> => {
      const t = performance.now();
      const status = await send(email);
      const ms = performance.now() - t;
      assert.equal(status, 200);
      // The worker's half (lookup, code, mail) runs after the answer; let it finish outside the measurement.
      await server.core.outbox.flush();
      return ms;
    };
    for (let i = 0; i < WARMUP; i++) {
      await time(known);
      await time(unknown);
    }
    const rounds: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const k: number[] = [];
      const u: number[] = [];
      for (let i = 0; i < PAIRS; i++) {
        if (Math.random() < 0.5) {
          k.push(await time(known));
          u.push(await time(unknown));
        } else {
          u.push(await time(unknown));
          k.push(await time(known));
        }
      }
      const mk = median(k);
      const mu = median(u);
      const diff = Math.abs(mk - mu) / Math.min(mk, mu);
      const line = `${label} round ${round}: known median ${mk.toFixed(3)} ms, unknown median ${mu.toFixed(3)} ms over ${PAIRS} interleaved pairs: ${(diff * 100).toFixed(1)} % apart`;
      console.log(line);
      rounds.push(line);
      if (diff <= BOUND) return;
    }
    assert.fail(`${label}: medians more than ${BOUND * 100} % apart in every round:\n${rounds.join('\n')}`);
  }

  it('Toggl: POST /api/password_reset', async () => {
    const known = uniqueEmail('timing-known');
    assert.equal((await request(server.url, '/api/signup', { method: 'POST', json: { email: known, password: GOOD_PASSWORD } })).status, 201);
    const send = async (email: string) => (await request(server.url, '/api/password_reset', { method: 'POST', json: { email } })).status;
    await measure('Toggl reset request', send, known, uniqueEmail('timing-unknown'));
  });

  it('BookingBug: POST /login/admin/reset_password_email', async () => {
    const known = uniqueEmail('timing-bb-known');
    await admin(server, companyId, known);
    const send = async (email: string) => (await bb(server, '/login/admin/reset_password_email', { app, body: { email } })).status;
    await measure('BookingBug reset request', send, known, uniqueEmail('timing-bb-unknown'));
  });
});
