// lowerHelperThreads never puts a helper thread above the event loop: in a process whose event loop already
// runs at nice 15 (an operator's `nice -n 15`), HELPER_THREAD_NICE=10 leaves the helpers at 15, not 10. Run in a
// child process, since it changes the priorities of the process that calls it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { getPriority } from 'node:os';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MODULE = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'thread-priority.js')).href;

/** Runs lowerHelperThreads(nice) in a fresh node whose main thread was set to `mainNice` first; returns every thread's nice. */
function niceValues(mainNice: number, nice: number): { main: number; helpers: number[] } {
  const script = `
    import { readdirSync, readFileSync } from 'node:fs';
    import { setPriority } from 'node:os';
    import { lowerHelperThreads } from ${JSON.stringify(MODULE)};
    setPriority(${mainNice});
    await new Promise((resolve) => setImmediate(resolve));
    lowerHelperThreads(${nice});
    const niceOf = (tid) => { const s = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]); };
    const tids = readdirSync('/proc/self/task').map(Number);
    console.log(JSON.stringify({ main: niceOf(process.pid), helpers: tids.filter((t) => t !== process.pid).map(niceOf) }));
  `;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script]).toString()) as { main: number; helpers: number[] };
}

/** The nice value the tests run at (0 unless the suite itself is niced); priorities are only ever lowered from it. */
const BASE = process.platform === 'linux' ? getPriority() : 0;

describe('lowerHelperThreads', { skip: process.platform === 'linux' ? false : 'thread priorities are read from /proc (Linux)' }, () => {
  it('sets the helpers to the configured nice below a normal event loop', () => {
    const r = niceValues(BASE, 10);
    assert.equal(r.main, BASE);
    assert.ok(r.helpers.length > 0);
    assert.deepEqual([...new Set(r.helpers)], [Math.max(10, BASE)]);
  });

  it('never sets a helper above an event loop that already runs at a higher nice value', () => {
    const main = Math.max(15, BASE);
    const r = niceValues(main, 10);
    assert.equal(r.main, main);
    assert.deepEqual([...new Set(r.helpers)], [main], `helpers at the event loop’s ${main}, not the configured 10`);
  });
});
