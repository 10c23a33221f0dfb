// One JSON line per request, written when the answer has gone out: ISO time, request id, method, route
// template, status, duration, dialect, authentication method, outcome and reason, the account's public id,
// and whatever a route added to the request's record (`rule`, `extra`). Never a header, a body or a
// credential: the fields are chosen here, not copied from the request.
// The request id is a well-formed X-Request-Id from the caller (a proxy's), or a new random UUID, and is
// returned in X-Request-Id.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CoreError } from '../core/errors.js';
import { redactUrl } from '../http/redact.js';
import { addRequestRecord, recordOf } from './request-record.js';

/** Letters, digits and `-_.:`, at most 128: anything else is replaced by a generated id. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** The route template a request matched; `(unmatched)` for a 404 without a route. */
export function routeOf(req: FastifyRequest): string {
  const url = req.routeOptions.url;
  return url === undefined || url === '' || req.is404 ? '(unmatched)' : url;
}

export type RequestFinished = (req: FastifyRequest, reply: FastifyReply, route: string, seconds: number) => void;

/** Fastify's per-request log lines, replaced by one line per request (and the metrics hook). */
class OneLinePerRequest extends LogController {
  constructor(private readonly finished: RequestFinished | undefined) {
    super({ requestIdLogLabel: 'request_id' });
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const record = recordOf(req);
    const route = routeOf(req);
    const seconds = reply.elapsedTime / 1000;
    this.finished?.(req, reply, route, seconds);
    if (!(reply.log as Leveled).isLevelEnabled('info')) return;
    const line: Record<string, unknown> = {
      method: req.method,
      route,
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100,
      dialect: record.dialect,
      ip: req.ip,
    };
    if (route === '(unmatched)') line.path = redactUrl(req.url).split('?')[0];
    if (record.auth !== undefined) line.auth = record.auth;
    if (record.outcome !== undefined) line.outcome = record.outcome;
    if (record.reason !== undefined) line.reason = record.reason;
    if (record.account !== undefined) line.account = record.account;
    if (record.rule !== undefined) line.rule = record.rule;
    if (record.extra !== undefined) Object.assign(line, { ...record.extra, ...line });
    if (error) line.err = { type: error.name, message: error.message };
    reply.log.info(line, 'request');
  }
}

/** The `time` field of a line: formatted once per millisecond, not once per line (issue 9). */
let stampedAt = -1;
let stamp = '';
function isoTime(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

/** Logger settings for a Fastify instance: JSON lines with ISO times, headers never serialised. */
export function loggerOptions(level: string): {
  level: string;
  timestamp: () => string;
  messageKey: string;
  serializers: { req: (req: { method: string; url: string; ip: string }) => Record<string, unknown>; res: (res: { statusCode: number }) => Record<string, unknown> };
} {
  return {
    level,
    timestamp: isoTime,
    messageKey: 'msg',
    serializers: {
      // Whatever logs a request or reply object gets these few fields, never headers or bodies.
      req: (req) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
      res: (res) => ({ statusCode: res.statusCode }),
    },
  };
}

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Leveled = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };

/**
 * A request's logger (`req.log`), whose pino child is made only when something is logged through it
 * (issue 9): Fastify makes one per request, and at the default levels only the request line and errors
 * use it, so at `warn` and above most requests never need one.
 */
class RequestLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: Leveled,
    private readonly bindings: Bindings,
  ) {}

  private get log(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings));
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.log.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.made ? (this.made as Leveled).isLevelEnabled(level) : this.parent.isLevelEnabled(level);
  }

  private write(level: Level, args: unknown[]): void {
    if (this.isLevelEnabled(level)) (this.log[level] as (...a: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.log.child(bindings, options);
  }
}

/** Fastify's childLoggerFactory: a RequestLogger, or pino's own child when a route sets its own log level. */
function requestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  if (options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options);
  return new RequestLogger(logger as Leveled, bindings) as unknown as FastifyBaseLogger;
}

/** Fastify options for request ids, request loggers and the one-line-per-request log. */
export function requestLogOptions(finished?: RequestFinished): {
  genReqId: (req: IncomingMessage) => string;
  logController: LogController;
  childLoggerFactory: typeof requestLogger;
} {
  return { genReqId: requestIdOf, logController: new OneLinePerRequest(finished), childLoggerFactory: requestLogger };
}

/** The reason a refused request is logged with, when the core or a schema refused it. */
function reasonOf(err: unknown): string | undefined {
  if (err instanceof CoreError) return err.code;
  if (typeof err === 'object' && err !== null) {
    if ('validation' in err && (err as { validation?: unknown }).validation) return 'invalid_input';
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('FST_ERR_')) return code.slice('FST_ERR_'.length).toLowerCase();
  }
  return undefined;
}

/**
 * The request record and the reason of an error (a callback hook: no promise per request). X-Request-Id is
 * set with the app's other answer headers, in its one onSend hook (src/http/app.ts).
 */
export function addRequestLogging(app: FastifyInstance): void {
  addRequestRecord(app);
  app.addHook('onError', (req, _reply, err, done) => {
    const record = recordOf(req);
    record.reason ??= reasonOf(err);
    done();
  });
}
