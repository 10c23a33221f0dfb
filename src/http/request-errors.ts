// One classifier for the errors a request can meet before (or instead of) a route's own logic: body
// parsing (JSON, forms), size and content-type limits, schema validation and the framework's other 4xx.
// Each is mapped once into a closed set of codes; a dialect keeps only its status table and its renderer.
import type { FastifyError } from 'fastify';
import { BadJson } from './json.js';
import { BadForm } from './multipart.js';

export type RequestErrorCode =
  /** The body is not JSON (or nests too deeply). */
  | 'bad_json'
  /** A form body that cannot be read (duplicate field, file part, bad name). */
  | 'bad_form'
  /** A form (or JSON object) over the per-field or field-count limits. */
  | 'form_too_large'
  /** The body is over BODY_LIMIT_BYTES. */
  | 'too_large'
  /** A content type the dialect does not read. */
  | 'unsupported_type'
  /** The body, query or path parameters break the route's schema. */
  | 'invalid'
  /** Any other client error the framework raised (a malformed URL, ...), with its own status. */
  | 'bad_request'
  /** Not a request error: a bug, answered 500 and logged. */
  | 'internal';

/** The HTTP status of each code; both dialects answer these statuses, each in its own format. */
export const REQUEST_ERROR_STATUS: Readonly<Record<RequestErrorCode, number>> = {
  bad_json: 400,
  bad_form: 400,
  form_too_large: 413,
  too_large: 413,
  unsupported_type: 415,
  invalid: 400,
  bad_request: 400,
  internal: 500,
};

export const REQUEST_ERROR_CODES: readonly RequestErrorCode[] = ['bad_json', 'bad_form', 'form_too_large', 'too_large', 'unsupported_type', 'invalid', 'bad_request', 'internal'];

export interface SchemaProblem {
  /** The JSON-schema keyword that failed (required, additionalProperties, type, maxLength, ...). */
  keyword: string;
  /** Where: body, querystring, params or headers. */
  context: string | undefined;
  /** The path to the offending value, one segment per level ([] for the whole body). */
  path: string[];
  /** The missing property, for `required`. */
  missing: string | undefined;
  /** The unexpected property, for `additionalProperties`. */
  extra: string | undefined;
}

export interface RequestError {
  code: RequestErrorCode;
  /** The framework's own status for `bad_request`; the usual status otherwise. */
  status: number;
  /** The parser's or framework's message, when it says more than the code (never echoes the body). */
  detail: string | undefined;
  /** For `invalid`: the first schema problem. */
  problem: SchemaProblem | undefined;
}

function problemOf(err: FastifyError): SchemaProblem | undefined {
  const v = err.validation?.[0];
  if (!v) return undefined;
  const params = v.params as { missingProperty?: unknown; additionalProperty?: unknown };
  return {
    keyword: v.keyword,
    context: err.validationContext,
    path: v.instancePath.split('/').filter(Boolean),
    missing: typeof params.missingProperty === 'string' ? params.missingProperty : undefined,
    extra: typeof params.additionalProperty === 'string' ? params.additionalProperty : undefined,
  };
}

/** Classifies anything thrown while handling a request that is not a dialect's or the core's own error. */
export function classifyRequestError(err: unknown): RequestError {
  const none = { detail: undefined, problem: undefined };
  if (err instanceof BadJson) return { code: 'bad_json', status: 400, detail: err.detail, problem: undefined };
  if (err instanceof BadForm) return { code: err.statusCode === 413 ? 'form_too_large' : 'bad_form', status: err.statusCode, detail: err.message, problem: undefined };
  const fe = (typeof err === 'object' && err !== null ? err : {}) as FastifyError;
  if (fe.validation) return { code: 'invalid', status: 400, detail: undefined, problem: problemOf(fe) };
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'bad_json', status: 400, ...none };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'too_large', status: 413, ...none };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_type', status: 415, ...none };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { code: 'bad_request', status: fe.statusCode, detail: typeof fe.message === 'string' ? fe.message : undefined, problem: undefined };
  }
  return { code: 'internal', status: 500, ...none };
}
