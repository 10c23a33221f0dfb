// Building blocks for the property-based fuzzing suite (test/e2e/fuzz.test.ts): the server's route table read
// at run time, two transports (node:http for anything Node will send, raw node:net bytes for what it will not),
// the error format of each dialect, and fast-check arbitraries for malformed requests.
import { connect } from 'node:net';
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';

// ---------------------------------------------------------------------------------------------------------
// Route table

export interface Route {
  /** Fastify pattern, e.g. `/api/password_reset/:code`. */
  pattern: string;
  methods: string[];
}

/**
 * Every route the running server has, read from `app.printRoutes()` so that routes added later (a new
 * dialect, a new generation) are fuzzed without touching the test. The tree is indented by four columns
 * per level; a child's label continues its parent's path.
 */
export function routeTable(app: FastifyInstance): Route[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const routes = new Map<string, Set<string>>();
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)(?:├── |└── )(.+?)(?: \(([A-Z, -]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    const full = (stack[depth - 1] ?? '') + (m[2] as string);
    stack.length = depth;
    stack[depth] = full;
    if (m[3]) {
      const set = routes.get(full) ?? new Set<string>();
      for (const method of m[3].split(',')) set.add(method.trim());
      routes.set(full, set);
    }
  }
  return [...routes].map(([pattern, methods]) => ({ pattern, methods: [...methods].sort() }));
}

// ---------------------------------------------------------------------------------------------------------
// Dialects and their error formats

export type Dialect = 'toggl-v9' | 'toggl-v8' | 'toggl-accounts' | 'bookingbug' | 'outside';

export function dialectOf(target: string): Dialect {
  // An absolute-form request target (GET http://host/api/v9/me) is routed by its path.
  const path = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  if (path === '/api/v1' || path.startsWith('/api/v1/') || path.startsWith('/api/v1?')) return 'bookingbug';
  if (path.startsWith('/api/v8/')) return 'toggl-v8';
  if (path.startsWith('/api/v9/')) return 'toggl-v9';
  if (path.startsWith('/api/')) return 'toggl-accounts';
  return 'outside';
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** How long the answer took, in milliseconds. */
  ms: number;
}

function header(reply: Reply, name: string): string {
  const v = reply.headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Checks a reply to a request on `path`: never a 5xx, and on a 4xx the error format of the dialect the path
 * belongs to. Returns a problem description, or undefined when the reply is acceptable.
 *   Toggl v9 and accounts: a non-empty JSON string (401 and the empty-bodied cases: an empty body).
 *   Toggl v8: a JSON array of non-empty strings; 401 and 403 have an empty body.
 *   BookingBug (/api/v1): {"error": "<non-empty string>"}.
 *   Outside the dialects (/health, /reset-password/...): {"error": "..."} or the HTML page of the reset form.
 * A HEAD answer has no body to check.
 */
export function formatProblem(method: string, path: string, reply: Reply): string | undefined {
  if (reply.status >= 500) return `5xx: ${reply.status}`;
  if (reply.status < 400 || method === 'HEAD') return undefined;
  const dialect = dialectOf(path);
  const type = header(reply, 'content-type');
  const text = reply.body.toString('utf8');
  const json = parseJson(text);
  const isJsonType = /^application\/json\b/.test(type);
  switch (dialect) {
    case 'toggl-v9':
    case 'toggl-accounts':
    case 'toggl-v8': {
      if (reply.status === 401 || (dialect === 'toggl-v8' && reply.status === 403)) {
        return text === '' ? undefined : `expected an empty body for ${reply.status}`;
      }
      if (!isJsonType) return `expected application/json, got "${type}"`;
      if (!json.ok) return 'body is not JSON';
      if (dialect === 'toggl-v8') {
        const v = json.value;
        return Array.isArray(v) && v.length > 0 && v.every((m) => typeof m === 'string' && m !== '') ? undefined : 'expected a JSON array of messages';
      }
      return typeof json.value === 'string' && json.value !== '' ? undefined : 'expected a JSON string';
    }
    case 'bookingbug': {
      if (!isJsonType) return `expected application/json, got "${type}"`;
      const v = json.ok ? (json.value as { error?: unknown } | null) : null;
      return v && typeof v === 'object' && !Array.isArray(v) && typeof v.error === 'string' && v.error !== '' ? undefined : 'expected {"error": "..."}';
    }
    case 'outside': {
      if (/^text\/html\b/.test(type) && /^<!doctype html>/i.test(text)) return undefined;
      const v = json.ok ? (json.value as { error?: unknown } | null) : null;
      return isJsonType && v && typeof v === 'object' && typeof v.error === 'string' ? undefined : 'expected {"error": "..."} or an HTML page';
    }
  }
}

/**
 * An answer written by Node's HTTP parser (through Fastify's clientError handler) to bytes that are not a
 * readable HTTP request: NUL or bare CR in a header, an unknown method, raw non-ASCII in the request line,
 * headers over 16 KiB. No route and so no dialect is known yet; these answers never pass Fastify's onSend
 * hook, so they lack the Cache-Control header every routed answer carries.
 */
export function isParserRejection(reply: Reply): boolean {
  if (![400, 413, 414, 431].includes(reply.status) || reply.headers['cache-control'] !== undefined) return false;
  const json = parseJson(reply.body.toString('utf8'));
  const v = json.ok ? (json.value as { error?: unknown; message?: unknown; statusCode?: unknown } | null) : null;
  return !!v && typeof v.error === 'string' && typeof v.message === 'string' && v.statusCode === reply.status;
}

// ---------------------------------------------------------------------------------------------------------
// Transports

export const REQUEST_TIMEOUT_MS = 10_000;

export interface FuzzRequest {
  method: string;
  /** Request target as sent (already percent-encoded where it should be). */
  path: string;
  headers: Array<[string, string]>;
  body?: Buffer | undefined;
}

export class Hang extends Error {}

/** What node:http will send in a header value: tab, printable ASCII and latin-1 bytes. */
export function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

/**
 * Sends with node:http, which accepts any latin-1 header value, any token method and any body. Header values
 * are written byte for byte as latin-1 (a "binary" string carries raw UTF-8 bytes when wanted).
 */
export function send(base: string, req: FuzzRequest): Promise<Reply> {
  if (req.method === 'HEAD') return sendHead(base, req);
  const url = new URL(base);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // Repeated names become arrays (Node sends each value on its own line). Characters Node refuses in a header
    // value (controls other than tab, code points above 255) are replaced: raw bytes go through sendRaw.
    const headers: Record<string, string | string[]> = { connection: 'close' };
    for (const [name, value] of req.headers) {
      const k = name.toLowerCase();
      const v = headerSafe(value);
      const prev = headers[k];
      headers[k] = prev === undefined || k === 'connection' ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    if (req.body !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(req.body.length);
    const r = http.request({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: false, setHost: true });
    const timer = setTimeout(() => {
      r.destroy();
      reject(new Hang(`no answer within ${REQUEST_TIMEOUT_MS} ms`));
    }, REQUEST_TIMEOUT_MS);
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: Date.now() - started });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    r.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    r.end(req.body);
  });
}

/**
 * HEAD goes over a raw socket: when Node's HTTP parser refuses a request (headers over 16 KiB, a request target
 * without a leading slash) its answer carries a JSON body even to a HEAD, which node:http's client cannot parse.
 * Reading to the close still lets the test check that answer's status.
 */
async function sendHead(base: string, req: FuzzRequest): Promise<Reply> {
  const url = new URL(base);
  const lines = [`HEAD ${req.path} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close', ...req.headers.map(([k, v]) => `${k}: ${headerSafe(v)}`)];
  if (req.body !== undefined && !req.headers.some(([k]) => k.toLowerCase() === 'content-length')) lines.push(`Content-Length: ${req.body.length}`);
  const reply = await sendRaw(base, Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), req.body ?? Buffer.alloc(0)]));
  if (reply.closedWithoutAnswer) throw new Error('HEAD: the server closed the connection without an answer');
  return { ...reply, body: Buffer.alloc(0) };
}

export interface RawReply extends Reply {
  /** The server closed the connection without answering (acceptable only for framing the server cannot read). */
  closedWithoutAnswer: boolean;
}

/** Decodes `Transfer-Encoding: chunked` (enough for answers from Node). */
function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < data.length) {
    const eol = data.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(data.subarray(i, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(data.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/**
 * Writes `bytes` on a fresh TCP connection, half-closes it when `end` is set, and reads until the server closes.
 * For requests Node's client refuses to send: broken header bytes, bad framing, raw non-ASCII paths.
 */
export function sendRaw(base: string, bytes: Buffer, options: { end?: boolean } = {}): Promise<RawReply> {
  const url = new URL(base);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Hang(`no answer and no close within ${REQUEST_TIMEOUT_MS} ms`));
    }, REQUEST_TIMEOUT_MS);
    socket.on('connect', () => {
      socket.write(bytes);
      if (options.end) socket.end();
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      let data = Buffer.concat(chunks);
      const ms = Date.now() - started;
      // Interim answers (100 Continue) come before the final one: skip them.
      while (/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 13).toString('latin1')) && data.indexOf('\r\n\r\n') >= 0) data = data.subarray(data.indexOf('\r\n\r\n') + 4);
      const split = data.indexOf('\r\n\r\n');
      if (data.length === 0 || split < 0) {
        resolve({ status: 0, headers: {}, body: Buffer.alloc(0), ms, closedWithoutAnswer: true });
        return;
      }
      const lines = data.subarray(0, split).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body: Buffer = data.subarray(split + 4);
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
      else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
      // Only the first answer counts (a pipelined second answer would follow it).
      resolve({ status, headers, body, ms, closedWithoutAnswer: false });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries

/** Standard and WebDAV methods Node's parser knows; CONNECT is excluded (it is a tunnel, not a request). */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'SEARCH', 'PROPFIND', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'PURGE', 'REPORT'];

const b64 = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('base64');
/** A header value carrying raw bytes: node:http writes a string's code units 0-255 as single bytes. */
export const bytesAsHeader = (b: Buffer) => b.toString('latin1');

/** Strange but well-formed and ill-formed Unicode, mixed with ordinary text. */
export const oddUnicode: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '\ud800', // lone high surrogate
        '\udfff', // lone low surrogate
        '\udc00\ud800', // surrogates in the wrong order
        '\u0000',
        '\u202e', // right-to-left override
        '\u200f', // right-to-left mark
        '\u200b', // zero-width space
        '\u200d', // zero-width joiner
        '\ufeff', // BOM
        '\uffff',
        '\ufffe',
        '\u2028',
        '\u0085',
        '\u001b[31m',
        '😀',
        '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}',
        '\ufb03', // ffi ligature (NFKC changes it)
        '\u2460', // circled one
        'ＡＢＣ', // fullwidth
        '\u210c', // black-letter H
        'e\u0301', // combining acute
        'İ', // changes length when lower-cased
        'ß',
        '\u0130\u0131',
        '%00',
        '../',
        '"\\',
        "' OR '1'='1",
      ),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(''));

/** A JSON value whose type is not what a field expects (fields expect strings, booleans or integers). */
export const wrongTyped: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e308, -0, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, true, false, null),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  fc.constant({}),
  fc.constant([]),
  oddUnicode,
  fc.string({ maxLength: 40 }),
);

/** Field names the routes know, plus prototype-pollution names and random ones. */
const FIELD_NAMES = [
  'email', 'password', 'display_name', 'fullname', 'timezone', 'remember_me', 'tos_accepted_for', 'country_id',
  'beginning_of_week', 'default_workspace_id', 'current_password', 'created_with', 'user', 'data',
  'company_id', 'id', 'name', 'first_name', 'last_name', 'reset_password_token', 'path',
  '__proto__', 'constructor', 'prototype',
];
const fieldName = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELD_NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });

/**
 * Keeps a generated body away from the Argon2id hashing path: a string password is dropped when the same
 * object also has a string email or current password (that pair would be hashed or verified). Login and
 * sign-up shapes with a password are fuzzed separately, in small numbers.
 */
export function noHashing(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(noHashing);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: noHashing(v), enumerable: true, writable: true, configurable: true });
  if (typeof out.password === 'string' && (typeof out.email === 'string' || typeof out.current_password === 'string')) out.password = 12345678;
  return out;
}

/** Objects with the routes' field names and values of the wrong type or odd content, sometimes nested once. */
export const wrongShapeObject: fc.Arbitrary<unknown> = fc
  .dictionary(fieldName, fc.oneof({ weight: 5, arbitrary: wrongTyped }, { weight: 1, arbitrary: fc.dictionary(fieldName, wrongTyped, { maxKeys: 4 }) }), { maxKeys: 5 })
  .map(noHashing);

/** JSON text nested `depth` levels deep, closed or not. */
export const deepJson: fc.Arbitrary<string> = fc
  .record({ depth: fc.oneof(fc.integer({ min: 30, max: 40 }), fc.integer({ min: 100, max: 2000 }), fc.constant(10_000)), kind: fc.constantFrom('array', 'object', 'mixed'), closed: fc.boolean() })
  .map(({ depth, kind, closed }) => {
    const open = kind === 'array' ? '['.repeat(depth) : kind === 'object' ? '{"a":'.repeat(depth) : '{"user":['.repeat(depth);
    const close = kind === 'array' ? ']'.repeat(depth) : kind === 'object' ? '}'.repeat(depth) : ']}'.repeat(depth);
    return open + (kind === 'array' ? '' : '1') + (closed ? close : close.slice(0, Math.floor(close.length / 2)));
  });

/** Truncated JSON: a prefix of a realistic body. */
export const truncatedJson: fc.Arbitrary<string> = fc
  .tuple(wrongShapeObject, fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([obj, cut]) => {
    const text = JSON.stringify(obj) ?? '{}';
    return text.slice(0, Math.max(1, Math.floor(text.length * cut)));
  })
  .filter((t) => parseOrUndefined(t) === undefined);

function parseOrUndefined(t: string): unknown {
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return undefined;
  }
}

/** Bodies beyond the 64 KiB limit (what they say does not matter: the size is refused first). */
export const hugeBody: fc.Arbitrary<Buffer> = fc
  .record({ size: fc.integer({ min: 64 * 1024 + 1, max: 300 * 1024 }), field: fc.constantFrom('fullname', 'email', 'password', 'display_name') })
  .map(({ size, field }) => Buffer.from(JSON.stringify({ [field]: 'x'.repeat(size) })));

/** multipart/form-data, well-formed or broken in one of the usual ways. */
export const multipart: fc.Arbitrary<{ contentType: string; body: Buffer }> = fc
  .record({
    boundary: fc.oneof(fc.constant('----fuzz7MA4YWxkTrZu0gW'), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 90 }), fc.constant(''), fc.constant('a'.repeat(200))),
    declared: fc.constantFrom('same', 'other', 'missing', 'quoted', 'empty'),
    fields: fc.array(fc.tuple(fieldName, fc.oneof(oddUnicode, fc.string({ maxLength: 30 }), fc.constant('x'.repeat(20_000)))), { maxLength: 6 }),
    flaw: fc.constantFrom('none', 'no-closing', 'truncated', 'lf-only', 'no-disposition', 'file', 'nul-name', 'many-parts', 'garbage-preamble', 'huge-part', 'header-only'),
  })
  .map(({ boundary, declared, fields, flaw }) => {
    const nl = flaw === 'lf-only' ? '\n' : '\r\n';
    const safe = noHashing(Object.fromEntries(fields)) as Record<string, unknown>;
    let parts = Object.entries(safe).map(([k, v]) => {
      const disposition = flaw === 'no-disposition' ? '' : `Content-Disposition: form-data; name="${flaw === 'nul-name' ? `${k}\u0000` : k}"${flaw === 'file' ? '; filename="a.txt"' : ''}${nl}`;
      return `--${boundary}${nl}${disposition}${nl}${String(v)}${nl}`;
    });
    if (flaw === 'many-parts') parts = Array.from({ length: 200 }, (_, i) => `--${boundary}${nl}Content-Disposition: form-data; name="f${i}"${nl}${nl}v${nl}`);
    if (flaw === 'huge-part') parts.push(`--${boundary}${nl}Content-Disposition: form-data; name="fullname"${nl}${nl}${'y'.repeat(70 * 1024)}${nl}`);
    if (flaw === 'header-only') parts = [`--${boundary}${nl}Content-Disposition: form-data; name="email"`];
    let body = (flaw === 'garbage-preamble' ? 'garbage\u0000\r\n' : '') + parts.join('') + (flaw === 'no-closing' || flaw === 'header-only' ? '' : `--${boundary}--${nl}`);
    if (flaw === 'truncated') body = body.slice(0, Math.floor(body.length / 2));
    const param = { same: `; boundary=${boundary}`, other: '; boundary=not-the-one', missing: '', quoted: `; boundary="${boundary}"`, empty: '; boundary=' }[declared];
    return { contentType: `multipart/form-data${param}`, body: Buffer.from(body, 'utf8') };
  });

/** application/x-www-form-urlencoded garbage. */
export const urlencoded: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('a=%zz&&=&b', '%', '=', '&&&&', 'email=%E0%A4%A&password', '__proto__[x]=1', 'a[b][c][d]=1', 'email=a%00b', `x=${'%41'.repeat(30_000)}`),
  fc.array(fc.tuple(fieldName, fc.oneof(oddUnicode, fc.string({ maxLength: 20 }))), { maxLength: 8 }).map((pairs) => {
    const obj = noHashing(Object.fromEntries(pairs)) as Record<string, unknown>;
    return Object.entries(obj)
      .map(([k, v]) => `${encodeURIComponent(k.replace(/[\ud800-\udfff]/g, 'x'))}=${String(v).replace(/[&=]/g, '')}`)
      .join('&');
  }),
);

export interface FuzzBody {
  label: string;
  contentType?: string | undefined;
  body?: Buffer | undefined;
}

/** A body for any route: absent, malformed, wrong types, deep, huge, multipart, urlencoded, binary. */
export const fuzzBody: fc.Arbitrary<FuzzBody> = fc.oneof(
  fc.constant<FuzzBody>({ label: 'no body' }),
  fc.constant<FuzzBody>({ label: 'empty body', contentType: 'application/json', body: Buffer.alloc(0) }),
  truncatedJson.map((t) => ({ label: 'truncated JSON', contentType: 'application/json', body: Buffer.from(t) })),
  wrongShapeObject.map((o) => ({ label: 'wrong types', contentType: 'application/json', body: Buffer.from(JSON.stringify(o)) })),
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ label: 'random JSON', contentType: 'application/json', body: Buffer.from(JSON.stringify(noHashing(v)) ?? 'null') })),
  deepJson.map((t) => ({ label: 'deep JSON', contentType: 'application/json', body: Buffer.from(t) })),
  hugeBody.map((b) => ({ label: 'huge body', contentType: 'application/json', body: b })),
  multipart.map((m) => ({ label: 'multipart', contentType: m.contentType, body: m.body })),
  urlencoded.map((u) => ({ label: 'urlencoded', contentType: 'application/x-www-form-urlencoded', body: Buffer.from(u, 'utf8') })),
  fc.uint8Array({ maxLength: 200 }).map((b) => ({ label: 'binary', contentType: 'application/octet-stream', body: Buffer.from(b) })),
  fc.constantFrom(
    Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), // BOM then {}
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]), // overlong UTF-8 in a string
    Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), // invalid UTF-8 in a key
    Buffer.from('{"fullname":"a\\ud800b"}'),
    Buffer.from('{"email":"\\u0000"}'),
    Buffer.from('{"__proto__":{"admin":true}}'),
    Buffer.from('{"constructor":{"prototype":{"x":1}}}'),
    Buffer.from('{"a":1,"a":2}'),
    Buffer.from('1e999999'),
    Buffer.from('-'),
    Buffer.from('nul\u0000l'),
  ).map((b) => ({ label: 'odd bytes', contentType: 'application/json', body: b })),
);

/** Content types, right, wrong, malformed. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/json;;;',
    'APPLICATION/JSON',
    'text/plain',
    'text/html',
    'application/x-www-form-urlencoded',
    'multipart/form-data',
    'multipart/form-data; boundary=',
    'multipart/mixed; boundary=x',
    'application/octet-stream',
    '*/*',
    'application/',
    '/',
    ';',
    'application/json, text/plain',
    `application/json; ${'p=1; '.repeat(500)}`,
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => s.replace(/[\r\n\0]/g, ' ')),
);

/**
 * Authorization headers that never parse as a usable email:password pair (so no password is ever hashed):
 * bad base64, no colon, empty halves, control characters, invalid UTF-8, latin-1 bytes, huge, other schemes.
 */
export const brokenAuthorization: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('Basic', 'Basic ', 'basic', 'BASIC  ', 'Basic =', 'Basic ====', 'Basic Og==', 'Basic YTpiY', 'Bearer', 'Bearer x', 'Digest username="a"', 'Negotiate YII=', ' Basic YTo=', 'Basic\tYTpi'),
  fc.string({ minLength: 1, maxLength: 60 }).map((s) => `Basic ${s.replace(/[A-Za-z0-9+/=]/g, '!').replace(/[\r\n\0]/g, '*')}`), // not base64
  fc.string({ maxLength: 60 }).map((s) => `Basic ${b64(s.replace(/:/g, ''))}`), // no colon
  fc.string({ maxLength: 40 }).map((s) => `Basic ${b64(`:${s}`)}`), // empty user
  fc.string({ maxLength: 40 }).map((s) => `Basic ${b64(`${s.replace(/:/g, '')}:`)}`), // empty password
  fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('\u0000', '\n', '\r', '\u007f', '\t', '\u001f')).map(([s, c]) => `Basic ${b64(`${s.replace(/:/g, '')}@example.com${c}:${s}x`)}`), // control character
  fc.uint8Array({ minLength: 1, maxLength: 30 }).map((b) => `Basic ${b64(Buffer.concat([Buffer.from('a@example.com:'), Buffer.from([0xff, 0xc0, ...b])]))}`), // invalid UTF-8
  fc.uint8Array({ minLength: 1, maxLength: 30 }).map((b) => `Basic ${bytesAsHeader(Buffer.from(b.map((x) => 0x80 | x)))}`), // latin-1 bytes
  fc.integer({ min: 4097, max: 15_000 }).map((n) => `Basic ${'QUFB'.repeat(Math.ceil(n / 4))}`), // over the parser's 4 KiB
  fc.string({ maxLength: 40 }).map((s) => `Basic ${b64(`${s.replace(/:/g, '')}:api_token`)}`), // not an API token (cheap path)
  fc.string({ maxLength: 40 }).map((s) => `Basic ${b64(s)}x`), // base64 of length 1 mod 4, or a character after the padding
  fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r\n\0]/g, '')), // anything
);

export const brokenCookie: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__Secure-accounts-session=',
    '__Secure-accounts-session=garbage',
    '__Secure-accounts-session=a.b.c',
    '__Secure-accounts-session=eyJhbGciOiJub25lIn0.eyJzaWQiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.',
    'toggl_api_session_new=%%%',
    'toggl_api_session_new="quoted"',
    ';;;;',
    '=',
    'no-equals-sign',
    '__Secure-accounts-session=a; __Secure-accounts-session=b',
    '__proto__=x',
    'constructor=1; toString=2',
  ),
  fc.string({ maxLength: 80 }).map((s) => `__Secure-accounts-session=${s.replace(/[\r\n\0;]/g, '')}`),
  fc.string({ maxLength: 80 }).map((s) => `toggl_api_session_new=${s.replace(/[\r\n\0;]/g, '')}`),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => `__Secure-accounts-session=${bytesAsHeader(Buffer.from(b.map((x) => 0x80 | x)))}`),
  fc.integer({ min: 3000, max: 12_000 }).map((n) => `toggl_api_session_new=${'y'.repeat(n)}`),
  fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })), { maxLength: 30 }).map((kv) => kv.map(([k, v]) => `${k}=${v}`.replace(/[\r\n\0]/g, '')).join('; ')),
);

/** App-Id / App-Key / Auth-Token values for /api/v1 (valid ones are mixed in by the test when it has them). */
export const brokenToken: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', '0', '-1', 'null', 'undefined', '%00', '9'.repeat(40), "' OR 1=1 --", 'a'.repeat(5000)),
  fc.string({ maxLength: 64 }).map((s) => s.replace(/[\r\n\0]/g, '')),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => bytesAsHeader(Buffer.from(b.map((x) => 0x80 | x)))),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 64 }),
);

/** A value for a path parameter: non-numeric, huge numbers, bad percent-encoding, traversal, long, Unicode. */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('0', '-1', '1', '1.5', '1e3', '0x10', '9'.repeat(20), '9'.repeat(400), '%', '%zz', '%E0%A4%A', '%C0%AF', '%00', '%2F', '%2e%2e', '..', '.', '%20', '+', 'null', 'NaN', 'Infinity', '__proto__', 'A'.repeat(257), 'A'.repeat(64), 'A'.repeat(65), 'ABCDEFGHJKMN'),
  fc.string({ minLength: 1, maxLength: 30 }).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
  oddUnicode.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'))),
  fc.integer({ min: -1_000_000, max: 1_000_000_000 }).map(String),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 200n }).map(String),
);

/** A query string: none, the routes' own parameters with odd values, or garbage. */
export const queryString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  fc.constantFrom('?', '?%', '?%zz=1', '?since=yesterday', '?since=-1', `?since=${'9'.repeat(40)}`, '?with_related_data=maybe', '?with_related_data=true&with_related_data=false', '?a[b]=c', '?__proto__[x]=1', `?${'a=1&'.repeat(2000)}`, '?since=1&since=2'),
  fc.dictionary(fc.constantFrom('since', 'with_related_data', 'page', 'per_page', 'company_id', 'x'), fc.string({ maxLength: 20 }), { maxKeys: 3 }).map((q) => {
    const s = new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, v.replace(/[\ud800-\udfff]/g, 'x')])).toString();
    return s === '' ? '' : `?${s}`;
  }),
);

/** Fills a route pattern's parameters (and wildcard) with fuzzed segments, or mutates the path around them. */
export function instantiate(pattern: string): fc.Arbitrary<string> {
  const params = pattern.match(/:[A-Za-z0-9_]+|\*/g) ?? [];
  return fc
    .record({
      values: fc.array(pathSegment, { minLength: params.length, maxLength: params.length }),
      mutation: fc.oneof({ weight: 6, arbitrary: fc.constant('none') }, { weight: 1, arbitrary: fc.constantFrom('trailing-slash', 'double-slash', 'upper', 'dot-segment', 'suffix', 'encoded-slash', 'percent') }),
      query: queryString,
    })
    .map(({ values, mutation, query }) => {
      let i = 0;
      let path = pattern.replace(/:[A-Za-z0-9_]+|\*/g, () => values[i++] ?? 'x');
      switch (mutation) {
        case 'trailing-slash':
          path += '/';
          break;
        case 'double-slash':
          path = path.replace(/\/([^/]*)$/, '//$1');
          break;
        case 'upper':
          path = path.toUpperCase();
          break;
        case 'dot-segment':
          path = path.replace(/\/([^/]*)$/, '/./../$1');
          break;
        case 'suffix':
          path += '/x';
          break;
        case 'encoded-slash':
          path = path.replace(/\/([^/]*)$/, '%2F$1');
          break;
        case 'percent':
          path += '%';
          break;
      }
      return path + query;
    });
}
