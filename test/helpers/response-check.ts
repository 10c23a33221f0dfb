// Every answer a test server sends is checked against the server's own OpenAPI document (GET /openapi.json):
// the route is documented (or opts out with a reason), the status is one the route documents, a body has a
// documented media type, and a JSON body matches the documented schema. Problems are collected and fail the
// suite when its server stops (test/helpers/server.ts), so every end-to-end suite doubles as a check of the
// document. GATEHOUSE_TEST_RESPONSE_CHECK=0 turns it off for a run.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

interface MediaType {
  schema?: object;
}
interface Operation {
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
type Doc = { paths: Record<string, Record<string, Operation>> };

// ajv-formats is CommonJS: its default export arrives wrapped under NodeNext resolution.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** Ajv as the check uses it: JSON Schema with the formats (date-time, ...) the document uses. */
export function schemaValidator(): Ajv {
  return addFormats(new Ajv({ strict: false, allErrors: false }));
}

export const RESPONSE_CHECK = process.env.GATEHOUSE_TEST_RESPONSE_CHECK !== '0';

const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function mediaMatches(documented: string, actual: string): boolean {
  if (documented === actual || documented === '*/*') return true;
  return documented.endsWith('/*') && actual.startsWith(documented.slice(0, -1));
}

export class ResponseCheck {
  readonly problems: string[] = [];
  /** Answers checked, by "METHOD template status". */
  readonly seen = new Map<string, number>();
  private doc: Doc | undefined;
  private loading: Promise<Doc> | undefined;
  private readonly ajv = schemaValidator();
  private readonly compiled = new WeakMap<object, ValidateFunction>();

  /** Adds the checking hook; call on a new instance, before its routes (AppOptions.instrument). */
  attach(app: FastifyInstance): void {
    app.addHook('onSend', (req, reply, payload, done) => {
      // The document is generated on first use; the first answers wait for it.
      (this.doc ? Promise.resolve(this.doc) : (this.loading ??= app.openApiDocument().then((d) => (this.doc = d as unknown as Doc))))
        .then(
          (doc) => this.check(doc, req, reply, payload),
          (err: unknown) => this.problems.push(`${req.method} ${req.url}: no document to check against: ${String(err)}`),
        )
        .catch((err: unknown) => this.problems.push(`${req.method} ${req.url}: the check itself failed: ${String(err)}`))
        .finally(() => done(null, payload));
    });
  }

  /** Throws, listing every problem, when an answer did not match the document. */
  assertClean(): void {
    if (this.problems.length === 0) return;
    const unique = [...new Set(this.problems)];
    throw new Error(`${unique.length} answer(s) do not match /openapi.json:\n${unique.slice(0, 30).join('\n')}`);
  }

  private check(doc: Doc, req: FastifyRequest, reply: FastifyReply, payload: unknown): void {
    const template = req.routeOptions.url;
    // No route matched (the not-found handlers) or a route left out of the document with a stated reason.
    if (template === undefined || req.routeOptions.config?.openapiOptOut !== undefined || (req.routeOptions.schema as { hide?: boolean } | undefined)?.hide) return;
    const method = req.method === 'HEAD' ? 'get' : req.method.toLowerCase();
    const status = String(reply.statusCode);
    const where = `${req.method} ${toOpenApiPath(template)} ${status}`;
    this.seen.set(where, (this.seen.get(where) ?? 0) + 1);
    const op = doc.paths[toOpenApiPath(template)]?.[method];
    if (!op) {
      this.problems.push(`${where}: the route is not in the document`);
      return;
    }
    const documented = op.responses[status] ?? op.responses[`${status[0]}XX`] ?? op.responses.default;
    if (!documented) {
      this.problems.push(`${where}: status not documented (documented: ${Object.keys(op.responses).join(', ')})`);
      return;
    }
    if (req.method === 'HEAD') return;
    const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
    // Streams (none on documented routes today) and empty bodies carry nothing to check.
    if (text === undefined || text === '') return;
    const type = String(reply.getHeader('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const media = Object.entries(documented.content ?? {}).find(([name]) => mediaMatches(name, type));
    if (!media) {
      this.problems.push(`${where}: a ${type || 'untyped'} body, documented: ${Object.keys(documented.content ?? {}).join(', ') || 'no body'}`);
      return;
    }
    if (type !== 'application/json' || !media[1].schema) return;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      this.problems.push(`${where}: the body is not JSON: ${text.slice(0, 120)}`);
      return;
    }
    const schema = media[1].schema;
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(schema, validate);
    }
    if (!validate(body)) this.problems.push(`${where}: ${this.ajv.errorsText(validate.errors)} in ${text.slice(0, 200)}`);
  }
}
