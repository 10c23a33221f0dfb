// Fastify's own schema compilers, loaded and run on first use instead of at start (issue 9). Fastify loads
// Ajv and fast-json-stringify when an instance is created, and compiles every route's schemas when it starts
// listening: a large share of start-up and of idle memory for routes that may never be called. These factories
// resolve the very compilers Fastify would have used (from Fastify's own dependencies, with the options Fastify
// passes: the same Ajv, error messages and serializers), load them on the first request that needs one, and
// compile each route's schema on that route's first request.
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type SchemaController = NonNullable<FastifyServerOptions['schemaController']>;
type Factories = NonNullable<SchemaController['compilersFactory']>;

type Validate = ((data: unknown) => unknown) & { errors?: unknown };
type Serialize = (data: unknown) => string;
/** The shape of both selectors: (external schemas, options) => (route schema) => compiled function. */
type Selector<F> = (externalSchemas: unknown, options: unknown) => (route: unknown) => F;

/**
 * One of Fastify's compiler packages. In the shipped bundle (dist/gatehouse.mjs, see scripts/bundle.mjs) a
 * plain `require` exists and esbuild has put these packages in the bundle by their literal names here, so the
 * bundle's own copy runs; compiled by tsc alone this module is plain ESM without `require`, and the package
 * is required from Fastify's own dependencies. Either way it is loaded on first use only.
 */
function fromFastify<T>(name: '@fastify/ajv-compiler' | '@fastify/fast-json-stringify-compiler'): T {
  if (typeof require === 'function') {
    /* eslint-disable @typescript-eslint/no-require-imports -- literal names, for the bundler (above) */
    return (name === '@fastify/ajv-compiler' ? require('@fastify/ajv-compiler') : require('@fastify/fast-json-stringify-compiler')) as T;
    /* eslint-enable @typescript-eslint/no-require-imports */
  }
  return createRequire(createRequire(import.meta.url).resolve('fastify'))(name) as T;
}

/**
 * A copy of a response schema without `required`. fast-json-stringify writes required properties before the
 * others and throws on a missing one; without `required` it keeps the declared order (the wire order of the
 * dialects) and leaves out an absent optional field, as JSON.stringify does. The OpenAPI document keeps it.
 */
function withoutRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutRequired);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // `required` as a keyword is a list; an object under that name is a property called "required".
    if (key !== 'required' || !Array.isArray(value)) out[key] = withoutRequired(value);
  }
  return out;
}

/** `selector` loaded on first use; each route's function compiled on its first call. */
function lazily<F>(loadSelector: () => Selector<F>, wrap: (compile: () => F) => F): Selector<F> {
  let selector: Selector<F> | undefined;
  return (externalSchemas, options) => {
    let build: ((route: unknown) => F) | undefined;
    return (route) => {
      let compiled: F | undefined;
      return wrap(() => (compiled ??= (build ??= (selector ??= loadSelector())(externalSchemas, options))(route)));
    };
  };
}

/** The schemaController option of a Fastify instance: Ajv validators and fast-json-stringify serializers on first use. */
export function lazyCompilers(): SchemaController {
  const buildValidator = lazily<Validate>(
    () => fromFastify<() => Selector<Validate>>('@fastify/ajv-compiler')(),
    (compile) => {
      const validate: Validate = (data) => {
        const compiled = compile();
        const ok = compiled(data);
        validate.errors = compiled.errors;
        return ok;
      };
      return validate;
    },
  );
  const serializers = lazily<Serialize>(
    () => fromFastify<() => Selector<Serialize>>('@fastify/fast-json-stringify-compiler')(),
    (compile) => (data) => compile()(data),
  );
  // Serializers compile the route's response schema without `required` (above).
  const buildSerializer: Selector<Serialize> = (externalSchemas, options) => {
    const build = serializers(externalSchemas, options);
    return (route) => {
      let serialize: Serialize | undefined;
      return (data) => (serialize ??= build({ ...(route as { schema: unknown }), schema: withoutRequired((route as { schema: unknown }).schema) }))(data);
    };
  };
  // Fastify types the compiled functions as Ajv's and fast-json-stringify's; it only calls them (and reads a
  // validator's `errors`).
  return { compilersFactory: { buildValidator: buildValidator as unknown as Factories['buildValidator'], buildSerializer: buildSerializer as unknown as Factories['buildSerializer'] } };
}
