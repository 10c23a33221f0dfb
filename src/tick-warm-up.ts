// A measured start-up step (issue 9): Node's process.nextTick, which Node's own streams call several times
// for every HTTP request (ending the request stream, after each write), builds a small "tick" object each
// time, and V8 keeps what it learnt about that object's shape from the first calls. After a SQLite start
// (migrations and the first store work, on the main thread) V8 had settled on a shape it later had to
// deprecate, and every tick of every request then took its slow path: a CPU profile (perf) of a loaded
// SQLite server showed Runtime_DefineKeyedOwnPropertyInLiteral and JSObject::MigrateToMap under nextTick,
// called from Readable's endReadable and Writable's onwrite, and none of it on PostgreSQL, which served the
// same cached requests about a fifth faster. Two thousand ticks with arguments, before anything else runs,
// give V8 the shape every later tick has: the SQLite server then matches the PostgreSQL one (bench/RESULTS.md;
// README, "The request path"). It costs under a millisecond and changes nothing else.

let warmed = false;

export function warmTickQueue(): void {
  if (warmed) return;
  warmed = true;
  const noop = (): void => undefined;
  for (let i = 0; i < 2000; i++) process.nextTick(noop, i, i);
}
