// HELPER_THREAD_NICE and HELPER_THREAD_POLICY (README, Configuration): every thread of the server process but
// the event loop's runs at a lower CPU priority (and, with HELPER_THREAD_POLICY=idle, under SCHED_IDLE), so a
// password-guessing storm slows the guesses rather than the token checks. Observed as an operator would
// (`ps -L -o nice,policy`): the nice value and the scheduling policy of each thread in /proc, on the real
// server process, before and after the threads have hashed passwords.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { after, describe, it } from 'node:test';
import { request } from '../helpers/http.js';
import { deployment, killAllServers, startServerProcess, type Deployment } from '../helpers/process.js';
import { GOOD_PASSWORD, uniqueEmail } from '../helpers/server.js';

interface Thread {
  tid: number;
  nice: number;
  /** The scheduling policy: 0 normal (SCHED_OTHER), 5 SCHED_IDLE. */
  policy: number;
  /** CPU time so far, in clock ticks (user + system). */
  cpu: number;
}

/**
 * The threads of a process from /proc/<pid>/task/<tid>/stat (fields after the command name: nice is the 17th,
 * the policy the 39th).
 */
function threads(pid: number): Thread[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { tid: Number(tid), nice: Number(f[16]), policy: Number(f[38]), cpu: Number(f[11]) + Number(f[12]) };
  });
}

const linux = process.platform === 'linux';
/** The server inherits the nice value of the shell running the tests (0, unless the suite itself runs niced). */
const BASE = linux ? getPriority() : 0;
const HELPER = Math.max(10, BASE);
const SCHED_OTHER = 0;
const SCHED_IDLE = 5;
/** Whether util-linux's chrt, which sets the policy, is on this machine (it is on Debian and in .ci/run). */
const chrt = linux && process.env.PATH?.split(':').some((dir) => existsSync(`${dir}/chrt`)) === true;

describe('helper threads below the event loop (HELPER_THREAD_NICE, HELPER_THREAD_POLICY)', { skip: linux ? false : 'thread priorities are read from /proc (Linux)' }, () => {
  const deployments: Deployment[] = [];
  after(async () => {
    await killAllServers();
    for (const d of deployments) d.remove();
  });

  /**
   * Starts a server with `env` and checks every thread but the event loop at nice 10 and under `policy`,
   * before and after the helpers have hashed passwords (a signup, one hash, and wrong-password logins, one
   * verify each), and the event loop at the priority and policy it was started with.
   */
  async function helpersStayLowered(env: Record<string, string>, policy: number): Promise<void> {
    const d = deployment();
    deployments.push(d);
    const proc = await startServerProcess(d, env);
    const before = threads(proc.pid);
    const main = before.find((t) => t.tid === proc.pid);
    assert.equal(main?.nice, BASE, 'the event loop keeps the priority it was started with');
    assert.equal(main?.policy, SCHED_OTHER, 'and the normal policy');
    const helpers = before.filter((t) => t.tid !== proc.pid);
    assert.ok(helpers.length >= 4, `libuv's pool and V8's threads are there (${helpers.length})`);
    assert.deepEqual(helpers.filter((t) => t.nice !== HELPER || t.policy !== policy), [], `every other thread at nice ${HELPER}, policy ${policy}`);

    const email = uniqueEmail('nice');
    assert.equal((await request(proc.url, '/api/signup', { method: 'POST', json: { email, password: GOOD_PASSWORD } })).status, 201);
    for (let i = 0; i < 3; i++) assert.equal((await request(proc.url, '/api/v9/me', { auth: [email, `${GOOD_PASSWORD}-wrong`] })).status, 403);

    const afterHashing = threads(proc.pid);
    const worked = afterHashing.filter((t) => t.tid !== proc.pid && t.cpu > (before.find((b) => b.tid === t.tid)?.cpu ?? 0));
    assert.ok(worked.length > 0, 'some helper thread did the hashing');
    assert.deepEqual(
      afterHashing.filter((t) => t.tid !== proc.pid && (t.nice !== HELPER || t.policy !== policy)),
      [],
      'no thread started since runs at the normal priority or policy',
    );
  }

  it('runs every thread but the event loop at nice 10 by default, under the normal policy, including the ones that hash passwords', async () => {
    await helpersStayLowered({}, SCHED_OTHER);
  });

  it('runs them under SCHED_IDLE as well with HELPER_THREAD_POLICY=idle', { skip: chrt ? false : 'chrt (util-linux) is not installed' }, async () => {
    await helpersStayLowered({ HELPER_THREAD_POLICY: 'idle' }, SCHED_IDLE);
  });

  it('leaves every thread alone with HELPER_THREAD_NICE=0', async () => {
    const d = deployment();
    deployments.push(d);
    const proc = await startServerProcess(d, { HELPER_THREAD_NICE: '0' });
    const all = threads(proc.pid);
    assert.deepEqual(all.filter((t) => t.nice !== BASE), []);
    assert.deepEqual(all.filter((t) => t.policy !== SCHED_OTHER), []);
  });

  it('keeps the nice value and says why when chrt cannot be found (HELPER_THREAD_POLICY=idle, PATH without it)', async () => {
    const d = deployment();
    deployments.push(d);
    // A PATH that holds no chrt: the server is started by absolute path, so it needs none.
    const proc = await startServerProcess(d, { HELPER_THREAD_POLICY: 'idle', PATH: d.dataDir });
    const helpers = threads(proc.pid).filter((t) => t.tid !== proc.pid);
    assert.deepEqual(helpers.filter((t) => t.nice !== HELPER || t.policy !== SCHED_OTHER), [], `helpers at nice ${HELPER}, normal policy`);
    const warning = proc
      .output()
      .split('\n')
      .filter((l) => l.includes('SCHED_IDLE'))
      .map((l) => JSON.parse(l) as { level: number; reason: string; msg: string });
    assert.equal(warning.length, 1, proc.output());
    assert.equal(warning[0]?.level, 40, 'a warning');
    assert.equal(warning[0]?.reason, 'chrt (util-linux) is not on the PATH');
    assert.match(warning[0]?.msg ?? '', /only their nice value applies/);
  });
});
