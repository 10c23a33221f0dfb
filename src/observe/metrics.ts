// Prometheus metrics (prom-client), one registry per server. Counters the core reports through its
// observer (src/core/metrics.ts), request metrics from the per-request record, and gauges read at scrape
// time (hash queue, mail outbox), so nothing has to be kept in step by hand.
// Label values are bounded: route templates (never a path with ids in it), methods, status codes, closed
// lists of outcomes and kinds. Never an email, an id or a token.
import client from 'prom-client';
import type { Core } from '../core/index.js';
import type { CoreObserver } from '../core/metrics.js';
import type { RequestRecord } from './request-record.js';
import { FastCounter, FastHistogram, type HistogramSeries } from './series.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Session revocations are counted from these audit events (detail.revoked, or one for a logout). */
const REVOKING = new Set(['logout', 'password.change', 'password.reset.complete', 'sessions.revoke', 'account.close', 'account.disable']);

export interface ServerMetrics {
  registry: client.Registry;
  observer: CoreObserver;
  /** Counts one finished request (from its record). */
  request(route: string, method: string, status: number, seconds: number, record: RequestRecord): void;
  /** Store query timing (Kysely's log hook). */
  query(seconds: number, sql: string): void;
  /** The text of GET /metrics. */
  render(): Promise<string>;
}

function statementOf(sql: string): string {
  const word = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? 'other';
  return ['select', 'insert', 'update', 'delete', 'with', 'begin', 'commit', 'rollback'].includes(word) ? word : 'other';
}

export function createMetrics(core: Core): ServerMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const secondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

  // The request path's metrics are kept in plain numbers and read by the registry at scrape time (series.ts).
  const duration = new FastHistogram(
    'gatehouse_http_request_duration_seconds',
    'Time from request arrival to the end of the answer, by route template, method and status',
    secondsBuckets,
    { route: '(other)', method: 'OTHER', status: '0' },
  ).registerIn(registry);
  duration.countsAs('gatehouse_http_requests_total', 'HTTP requests answered, by route template, method and status').registerIn(registry);
  const auth = new FastCounter(
    'gatehouse_auth_total',
    'Authentication decisions by dialect, method (password, api_token, session, auth_token) and outcome (ok, bad_credentials, locked, disabled, expired)',
    { dialect: 'other', method: 'other', outcome: 'other' },
  ).registerIn(registry);
  const gateway = new FastCounter(
    'gatehouse_gateway_decisions_total',
    'Gateway decisions (forward-auth checks and built-in proxy requests), by the rule that matched and whether it allowed the request',
    { rule: '(other)', allowed: 'false' },
  ).registerIn(registry);
  const lockouts = new client.Counter({
    name: 'gatehouse_lockouts_total',
    help: 'Login cool-downs started, by scope (account: one email; address: one client address)',
    labelNames: ['scope'],
    registers: [registry],
  });
  const sessionsCreated = new client.Counter({
    name: 'gatehouse_sessions_created_total',
    help: 'Sessions opened, by kind (accounts, api, bb-admin, bb-member)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const sessionsRevoked = new client.Counter({
    name: 'gatehouse_sessions_revoked_total',
    help: 'Sessions and tokens revoked, by cause (logout, password.change, password.reset.complete, sessions.revoke, account.close, account.disable)',
    labelNames: ['cause'],
    registers: [registry],
  });
  const hashWait = new client.Histogram({
    name: 'gatehouse_password_hash_wait_seconds',
    help: 'Time a password hash or verify waited for a slot in the hashing pool',
    buckets: [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const hashRefused = new client.Counter({
    name: 'gatehouse_password_hash_refused_total',
    help: 'Password checks refused with 503 because the hashing queue was full',
    registers: [registry],
  });
  new client.Gauge({
    name: 'gatehouse_password_hash_queue_depth',
    help: 'Password hashes waiting for a slot (HASH_QUEUE is the most that may wait)',
    registers: [registry],
    collect() {
      this.set(core.hasher.load.waiting);
    },
  });
  new client.Gauge({
    name: 'gatehouse_password_hash_running',
    help: 'Password hashes running now (at most HASH_CONCURRENCY)',
    registers: [registry],
    collect() {
      this.set(core.hasher.load.running);
    },
  });
  const mail = new client.Counter({
    name: 'gatehouse_mail_deliveries_total',
    help: 'Mail delivery attempts by this process, by outcome (sent, failed)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  new client.Gauge({
    name: 'gatehouse_mail_outbox',
    help: 'Mail in the outbox (all instances), by state: pending (not tried yet), retrying (failed, will retry), dead (given up)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await core.store.outboxCounts().catch(() => undefined);
      if (!counts) return;
      this.set({ state: 'pending' }, counts.pending);
      this.set({ state: 'retrying' }, counts.retrying);
      this.set({ state: 'dead' }, counts.dead);
    },
  });
  const queries = new FastHistogram(
    'gatehouse_store_query_duration_seconds',
    'Database query time, by statement (select, insert, update, delete, ...)',
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    { statement: 'other' },
  ).registerIn(registry);

  // Authentication decisions are not observed here: the core notes them in the request's record, and they
  // are counted once per request when it ends (request() below), so a fallback from one cookie to the next
  // is one decision. Outside a request (the CLI) nothing is counted.
  const observer: CoreObserver = {
    sessionCreated(kind) {
      sessionsCreated.inc({ kind });
    },
    audited(event, detail) {
      if (event === 'login.lockout') lockouts.inc({ scope: detail?.scope === 'address' ? 'address' : 'account' });
      if (!REVOKING.has(event)) return;
      const n = event === 'logout' ? 1 : typeof detail?.revoked === 'number' ? detail.revoked : 0;
      if (n > 0) sessionsRevoked.inc({ cause: event }, n);
    },
    hashWaited(seconds) {
      hashWait.observe(seconds);
    },
    hashRefused() {
      hashRefused.inc();
    },
    mailDelivery(outcome) {
      mail.inc({ outcome });
    },
  };

  const statementSeries = new Map<string, HistogramSeries>();

  return {
    registry,
    observer,
    request(route, method, status, seconds, record) {
      // A series' key is made of its label values, so two keys never name the same series.
      const m = METHODS.has(method) ? method : 'OTHER';
      duration.observe(
        duration.series(`${status} ${m} ${route}`, () => ({ route, method: m, status: String(status) })),
        seconds,
      );
      const { auth: how, outcome } = record;
      if (how && outcome) auth.add(`${record.dialect} ${how} ${outcome}`, () => ({ dialect: record.dialect, method: how, outcome }));
      // Rule names come from the operator's rules file, a bounded set.
      const rule = record.rule;
      if (rule !== undefined) {
        const allowed = String(record.extra?.allowed === true);
        gateway.add(`${allowed} ${rule}`, () => ({ rule, allowed }));
      }
    },
    query(seconds, sql) {
      let series = statementSeries.get(sql);
      if (series === undefined) {
        const statement = statementOf(sql);
        series = queries.series(statement, () => ({ statement }));
        // The SQL texts of the code, a bounded set; the guard keeps an unexpected variety from growing it.
        if (statementSeries.size < 5000) statementSeries.set(sql, series);
      }
      queries.observe(series, seconds);
    },
    render: () => registry.metrics(),
  };
}
