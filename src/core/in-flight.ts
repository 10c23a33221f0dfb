// One piece of work per key at a time (issue 9): concurrent callers with one key share the promise of the work
// already running instead of starting their own. Used where a client's opening burst would otherwise repeat
// costly work: one API session opened per client (api-sessions.ts), one Argon2id verify per email:password
// (auth.ts).

export class InFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  /** The work running for `key`, if any. */
  get(key: string): Promise<T> | undefined {
    return this.running.get(key);
  }

  /** The work running for `key`, or `start()`'s, which is forgotten once it settles (resolved or rejected). */
  run(key: string, start: () => Promise<T>): Promise<T> {
    const running = this.running.get(key);
    if (running !== undefined) return running;
    const started = start();
    this.running.set(key, started);
    const forget = () => {
      if (this.running.get(key) === started) this.running.delete(key);
    };
    // Both branches handled here, so a rejection reaches only the callers (no unhandled rejection of our own).
    started.then(forget, forget);
    return started;
  }
}
