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
      if (!named.has(c.sql)) named.set(c.sql, `gh_${named.size + 1}`);
      this.compiled = c;
    }
    if (values.length !== this.arity) throw new Error('wrong number of values for a prepared query');
    return { ...c, parameters: values };
  }
}
