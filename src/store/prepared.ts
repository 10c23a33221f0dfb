// Queries built once (issue 9): Kysely builds and compiles a hot-path query on the first use only, each
// call binds new values to the same SQL text. That text is registered here so the PostgreSQL connection
// sends it as a named prepared statement (parsed and planned once per connection); on SQLite the
// statement cache in db.ts reuses the prepared statement of the same text.
import type { CompiledQuery, Compilable } from 'kysely';

const named = new Map<string, string>();

/** The statement name of a registered SQL text (PostgreSQL `name` in the query config), if it is one. */
export function statementName(sqlText: string): string | undefined {
  return named.get(sqlText);
}

function register(sqlText: string): void {
  if (!named.has(sqlText)) named.set(sqlText, `gh_${named.size + 1}`);
}

export class PreparedQuery<R> {
  private compiled: CompiledQuery<R> | undefined;

  /** `build` makes the query with placeholder values; `arity` is how many parameters it binds. */
  constructor(
    private readonly build: () => Compilable<R>,
    private readonly arity: number,
  ) {}

  bind(...values: unknown[]): CompiledQuery<R> {
    let c = this.compiled;
    if (!c) {
      c = this.build().compile();
      if (c.parameters.length !== this.arity) throw new Error(`prepared query binds ${c.parameters.length} values, expected ${this.arity}`);
      register(c.sql);
      this.compiled = c;
    }
    if (values.length !== this.arity) throw new Error('wrong number of values for a prepared query');
    return { ...c, parameters: values };
  }
}

/** A placeholder value: a string no caller can send, naming the parameter it stands for. */
const MARK = '\u0000gatehouse-parameter:';

/**
 * A query built once whose values are bound by name, for queries that use a value more than once or whose
 * parameter order is Kysely's business (an upsert with CASE expressions). `build` receives a placeholder for
 * each name; typed `never`, it fits wherever the query builder expects a value. Values the query spells out
 * itself (a literal 1) stay as they were built.
 */
export class NamedQuery<R, K extends string> {
  private compiled: { query: CompiledQuery<R>; slots: Array<{ name: K } | { constant: unknown }> } | undefined;

  constructor(private readonly build: (value: (name: K) => never) => Compilable<R>) {}

  bind(values: Readonly<Record<K, unknown>>): CompiledQuery<R> {
    let c = this.compiled;
    if (!c) {
      const query = this.build((name) => `${MARK}${name}` as never).compile();
      const slots = query.parameters.map((p) => (typeof p === 'string' && p.startsWith(MARK) ? { name: p.slice(MARK.length) as K } : { constant: p }));
      register(query.sql);
      c = this.compiled = { query, slots };
    }
    return { ...c.query, parameters: c.slots.map((slot) => ('name' in slot ? values[slot.name] : slot.constant)) };
  }
}
