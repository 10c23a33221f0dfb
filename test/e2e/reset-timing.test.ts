// Password reset requests take the same time for known and unknown emails, in both dialects (security.md,
// "Enumeration"): both paths count the limits and queue one outbox job; the worker decides after the answer.
// Measured against a real server process (so the worker's work after an answer cannot delay the client's
// reading of it, as it would in one process): 200 strictly interleaved pairs, the order within each pair
// random (so the worker's work after a known email slows the next request whichever it is), after a warm-up,
// with a short pause after each; the median of the pairs' differences must be within 5 % of the median time. A loaded machine may spoil a round: up to four rounds are run,
// and one within 5 % passes.
// Figures are printed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createCore } from '../../src/core/index.js';
import { developmentTransport } from '../../src/mail/transports.js';
import { openStore } from '../../src/server.js';
import { request } from '../helpers/http.js';
import { deployment, killAllServers, startServerProcess, type Deployment, type ServerProcess } from '../helpers/process.js';
import { GOOD_PASSWORD, uniqueEmail } from '../helpers/server.js';
import { startSmtp, type SmtpProcess } from '../helpers/smtp.js';

const PAIRS = 200;
const WARMUP = 30;
const ROUNDS = 4;
const PAUSE_MS = 30;
const BOUND = 0.05;
const CTX = { ip: '127.0.0.1', userAgent: 'timing-setup', operator: true };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

describe('reset requests: the same time for known and unknown emails', () => {
  let smtp: SmtpProcess;
  let d: Deployment;
  let server: ServerProcess;
  let app: { appId: string; appKey: string | undefined };
  const togglKnown = uniqueEmail('timing-known');
  const bbKnown = uniqueEmail('timing-bb-known');

  before(async () => {
    smtp = await startSmtp();
    d = deployment({ SMTP_URL: smtp.url, RESET_MAIL_PER_EMAIL: '1000000', LOG_LEVEL: 'warn' });
    // The accounts, the company, its administrator and the application, through the core on the same store.
    const config = loadConfig({ DATA_DIR: d.dataDir, DATABASE_URL: d.databaseUrl, GATEHOUSE_SECRET: d.secret }, d.dataDir);
    const store = await openStore(config);
    try {
      const core = createCore({ config, store, secrets: [d.secret], mail: developmentTransport(() => undefined), log: { warn: () => undefined } });
      await core.accounts.signup({ email: togglKnown, password: GOOD_PASSWORD }, CTX);
      const companyId = (await core.companies.create(`Timing ${Date.now()}`, undefined, CTX)).id;
      await core.companies.addAdministrator({ companyId, email: bbKnown, password: GOOD_PASSWORD, name: 'Tim Admin', role: 'owner' }, CTX);
      const a = await core.applications.create(companyId, 'timing', true, CTX);
      app = { appId: a.appId, appKey: a.appKey };
    } finally {
      await store.close();
    }
    server = await startServerProcess(d);
  });
  after(async () => {
    await killAllServers();
    await smtp.stop();
    d.remove();
  });

  async function measure(label: string, send: (email: string) => Promise<number>, known: string, unknown: string): Promise<void> {
    const time = async (email: string): Promise<number> => {
      const t = performance.now();
      const status = await send(email);
      const ms = performance.now() - t;
      assert.equal(status, 200);
      // A pause outside the measurement lets the worker's half of the previous request finish first.
      await new Promise((r) => setTimeout(r, PAUSE_MS));
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
      // Within a pair the two requests are adjacent in time, so a slow spell of the machine (another suite,
      // the garbage collector) falls on both: the median of the pairs' differences is what a systematic
      // difference between known and unknown emails would move, and noise mostly cancels in it.
      const d: number[] = [];
      for (let i = 0; i < PAIRS; i++) {
        let pair: [number, number];
        if (Math.random() < 0.5) {
          const tk = await time(known);
          pair = [tk, await time(unknown)];
        } else {
          const tu = await time(unknown);
          pair = [await time(known), tu];
        }
        k.push(pair[0]);
        u.push(pair[1]);
        d.push(pair[0] - pair[1]);
      }
      const mk = median(k);
      const mu = median(u);
      const diff = Math.abs(median(d)) / median([...k, ...u]);
      const line = `${label} round ${round}: known median ${mk.toFixed(3)} ms, unknown median ${mu.toFixed(3)} ms, median difference within the ${PAIRS} interleaved pairs ${median(d).toFixed(3)} ms: ${(diff * 100).toFixed(1)} % of the median time`;
      console.log(line);
      rounds.push(line);
      if (diff <= BOUND) return;
    }
    assert.fail(`${label}: known and unknown more than ${BOUND * 100} % apart in every round:\n${rounds.join('\n')}`);
  }

  it('Toggl: POST /api/password_reset', async () => {
    const send = async (email: string) => (await request(server.url, '/api/password_reset', { method: 'POST', json: { email } })).status;
    await measure('Toggl reset request', send, togglKnown, uniqueEmail('timing-unknown'));
    // The worker sends behind the requests (a backlog of a few hundred jobs on a slow machine): wait for it.
    await smtp.waitFor(togglKnown, 180000);
  });

  it('BookingBug: POST /login/admin/reset_password_email', async () => {
    const headers: Record<string, string> = { 'App-Id': app.appId, 'Content-Type': 'application/json' };
    if (app.appKey !== undefined) headers['App-Key'] = app.appKey;
    const send = async (email: string) => (await request(server.url, '/api/v1/login/admin/reset_password_email', { method: 'POST', headers, body: JSON.stringify({ email }) })).status;
    await measure('BookingBug reset request', send, bbKnown, uniqueEmail('timing-bb-unknown'));
    await smtp.waitFor(bbKnown, 180000);
  });
});
