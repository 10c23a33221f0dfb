// The event loop first: every other thread of the process (libuv's pool, where Argon2id hashing runs, and
// V8's background compiler and GC helpers) runs at a lower CPU priority. On an idle machine nothing changes;
// when the cores are contended (a password-guessing storm keeps the hashing threads busy), the kernel runs
// the event loop first, so token, cookie and Auth-Token checks keep their latency while the guesses wait.
//
// Two levers, both Linux only:
// - a nice value (`lowerHelperThreads`, always): the helpers' share of a contended core;
// - the SCHED_IDLE policy (`idleHelperThreads`, HELPER_THREAD_POLICY=idle, an operator's choice): a thread
//   of the normal policy that wakes preempts a SCHED_IDLE thread at once. A nice value alone does not give
//   that: the kernel's EEVDF scheduler lets a running thread finish its time slice (by default 0.75 ms scaled
//   up with the number of cores, about 1.5 ms on 2) before a waking one of higher priority gets the core, and
//   that wait is most of the token p99 during a storm (issue 9). Not the default: a SCHED_IDLE thread also
//   waits for every other process of the host, so while other work saturates the cores a login waits for
//   seconds (measured with two busy loops on 2 cores: 12 to 17 s against about 0.5 s at nice 10 alone).
//   Node has no call for a scheduling policy, so it is set with util-linux's `chrt`; without it the nice
//   value alone applies.
// The storm figures of both are in bench/RESULTS.md (storm rows) and the README ("The request path").
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Sets every thread of this process except the main one (the event loop, whose thread id is the process id)
 * to `nice`, or to the event loop's own nice value where that is higher (a server started with `nice -n 15`
 * must not get helpers above its event loop); returns how many it set. Linux only (threads are listed in
 * /proc and setpriority takes a thread id); elsewhere, or with nice 0, it does nothing. Threads started later
 * inherit their starter's priority: call it once start-up has used the pool (libuv starts all its threads at
 * its first job).
 */
export function lowerHelperThreads(nice: number): number {
  if (nice === 0) return 0;
  const target = Math.min(19, Math.max(nice, getPriority(process.pid)));
  let lowered = 0;
  for (const tid of helperThreads()) {
    try {
      setPriority(tid, target);
      lowered++;
    } catch {
      // The thread ended between the listing and the call.
    }
  }
  return lowered;
}

/** The thread ids of this process except the event loop's (Linux; empty elsewhere or when /proc is unreadable). */
function helperThreads(): number[] {
  if (process.platform !== 'linux') return [];
  try {
    return readdirSync('/proc/self/task')
      .map(Number)
      .filter((tid) => Number.isInteger(tid) && tid !== process.pid);
  } catch {
    return [];
  }
}

/** `chrt -i -p 0 <tid>`: the SCHED_IDLE policy for one thread (short options: BusyBox's chrt has no long ones). */
function chrtIdle(tid: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('chrt', ['-i', '-p', '0', String(tid)], { timeout: 5000 }, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Puts every thread of this process except the event loop's under the SCHED_IDLE policy (see the file
 * comment). Resolves to how many it set, and the reason when it could set none (no `chrt` on the PATH, or the
 * system refused). A thread that ended in between is not an error. Threads started later inherit their
 * starter's policy, as with the nice value: call it once start-up has used the pool.
 */
export async function idleHelperThreads(): Promise<{ set: number; failure?: string }> {
  const tids = helperThreads();
  const results = await Promise.allSettled(tids.map(chrtIdle));
  const set = results.filter((r) => r.status === 'fulfilled').length;
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (set > 0 || failed === undefined) return { set };
  const err = failed.reason as NodeJS.ErrnoException;
  return { set, failure: err.code === 'ENOENT' ? 'chrt (util-linux) is not on the PATH' : String(err.message).split('\n')[0] ?? 'chrt failed' };
}
