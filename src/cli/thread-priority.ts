// The event loop first: every other thread of the process (libuv's pool, where Argon2id hashing runs, and
// V8's background compiler and GC helpers) runs at a lower CPU priority. On an idle machine nothing changes;
// when the cores are contended (a password-guessing storm keeps the hashing threads busy), the kernel runs
// the event loop first, so token, cookie and Auth-Token checks keep their latency while the guesses wait.
// Issue 9: token p99 during a storm went from about 4x to about 2x its quiet figure when this was added; the
// quiet p99 has since dropped to about 0.5 ms, and the ratio is in bench/RESULTS.md (storm rows).
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
  if (nice === 0 || process.platform !== 'linux') return 0;
  let threads: string[];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  const target = Math.min(19, Math.max(nice, getPriority(process.pid)));
  let lowered = 0;
  for (const entry of threads) {
    const tid = Number(entry);
    if (!Number.isInteger(tid) || tid === process.pid) continue;
    try {
      setPriority(tid, target);
      lowered++;
    } catch {
      // The thread ended between the listing and the call.
    }
  }
  return lowered;
}
