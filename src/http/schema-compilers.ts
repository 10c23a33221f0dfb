// The schema compilers Fastify is given: its own validator (Ajv) and serializer (fast-json-stringify)
// compilers, resolved from Fastify's own dependencies so they are exactly the ones it would have used, but
// compiling a route's schema on its first use instead of at start (issue 9: compiling every schema was a
// large share of start-up).
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

/** Loads a package the way Fastify itself does (from Fastify's own dependencies). */
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));

type Validate = ((data: unknown) => unknown) & { errors?: unknown };
type BuildValidator = (externalSchemas: unknown, ajvOptions: unknown) => (route: unknown) => Validate;
type ValidatorFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;

/**
 * Fastify's own validator compiler (the same Ajv, options and error messages), compiling each route's schema
 * on its first request instead of at start (issue 9: compiling every schema was a large share of start-up).
 * Resolved from Fastify's own dependencies, so it is exactly the compiler Fastify would have used.
 */
export function lazyValidators(): ValidatorFactory {
  const selector = (fromFastify('@fastify/ajv-compiler') as () => BuildValidator)();
  const factory: BuildValidator = (externalSchemas, ajvOptions) => {
    const build = selector(externalSchemas, ajvOptions);
    return (route) => {
      let compiled: Validate | undefined;
      const validate: Validate = (data) => {
        compiled ??= build(route);
        const ok = compiled(data);
        validate.errors = compiled.errors;
        return ok;
      };
      return validate;
    };
  };
  // Fastify types the compiled function as Ajv's; Fastify itself only calls it and reads `errors`.
  return factory as unknown as ValidatorFactory;
}

type Serialize = (data: unknown) => string;
type BuildSerializer = (externalSchemas: unknown, options: unknown) => (route: { schema: unknown }) => Serialize;
type SerializerFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']>;

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

/**
 * Fastify's own serializer compiler (fast-json-stringify) for the routes' response schemas, compiled on a
 * route's first answer rather than at start (issue 9), on the schema without `required` (above).
 */
export function lazySerializers(): SerializerFactory {
  const selector = (fromFastify('@fastify/fast-json-stringify-compiler') as () => BuildSerializer)();
  const factory: BuildSerializer = (externalSchemas, options) => {
    const build = selector(externalSchemas, options);
    return (route) => {
      let compiled: Serialize | undefined;
      return (data) => (compiled ??= build({ ...route, schema: withoutRequired(route.schema) }))(data);
    };
  };
  return factory as unknown as SerializerFactory;
}
