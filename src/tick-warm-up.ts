// A measured start-up step (issue 9): Node's process.nextTick, which Node's own streams call several times
// for every HTTP request (ending the request stream, after each write), builds a small "tick" object each
// time, and V8 keeps what it learnt about that object's shape from the first calls. After a SQLite start,
// every tick of every request took V8's slow path: a CPU profile (perf) of a loaded SQLite server showed
// Runtime_DefineKeyedOwnPropertyInLiteral and JSObject::MigrateToMap under nextTick, called from Readable's
// endReadable and Writable's onwrite, and none of it on PostgreSQL, which served the same requests from
// memory about a fifth faster. We did not pin down which early call of a SQLite start leads V8 there; two
// thousand ticks with arguments, before anything else runs, avoid it: the slow path is gone from the
// profile and the SQLite server serves about as fast as the PostgreSQL one (bench/RESULTS.md; README, "The
// request path"). It costs under a millisecond and changes nothing else.

let warmed = false;

export function warmTickQueue(): void {
  if (warmed) return;
  warmed = true;
  const noop = (): void => undefined;
  for (let i = 0; i < 2000; i++) process.nextTick(noop, i, i);
}
