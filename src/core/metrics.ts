// What the core tells an observer: hashing pressure, sessions and mail. The core calls `observe.*` (one line
// at the point of decision) and knows nothing of Prometheus or HTTP; the server installs a sink (src/observe/)
// that counts these. Without a sink (the CLI, unit tests) every call is a no-op.
// Authentication decisions belong to one request: the core notes them through the request's own `note`
// (RequestContext.note, or the `note` argument of the token checks), which the HTTP layer points at the
// request's log record (src/observe/request-record.ts); from it the line is written and the metrics counted.
// Passed explicitly rather than found through AsyncLocalStorage, whose promise hooks cost every request on
// Node 20 and 22 (issue 9). Without a note (the CLI, unit tests) nothing is noted.

/** How a caller proved who it is. */
export type AuthMethod = 'password' | 'api_token' | 'session' | 'auth_token';
/** What the core decided; `reason` (for the log line) is finer, e.g. bad_password, unknown_email, unknown_token. */
export type AuthOutcome = 'ok' | 'bad_credentials' | 'locked' | 'disabled' | 'expired';

/** Where one request's authentication decisions are noted. `accountPublicId` only when an account was identified. */
export type AuthNote = (method: AuthMethod, outcome: AuthOutcome, reason: string, accountPublicId?: string) => void;

/** Notes an authentication decision for the request being served, if it asked; never throws into the core. */
export function noteAuth(note: AuthNote | undefined, method: AuthMethod, outcome: AuthOutcome, reason: string, accountPublicId?: string): void {
  if (note) guard(() => note(method, outcome, reason, accountPublicId));
}

export interface CoreObserver {
  /** A new session (kind: accounts, api, bb-admin, bb-member). */
  sessionCreated(kind: string): void;
  /** An audit event was recorded (lockouts and revocations are counted from these). */
  audited(event: string, detail: Readonly<Record<string, string | number | boolean>> | undefined): void;
  /** A password hash waited this long for a slot in the hashing pool. */
  hashWaited(seconds: number): void;
  /** A password hash was refused because the queue was full (the caller answers 503). */
  hashRefused(): void;
  /** A mail left the outbox, or an attempt to send one failed. */
  mailDelivery(outcome: 'sent' | 'failed'): void;
}

const NOOP: CoreObserver = {
  sessionCreated: () => undefined,
  audited: () => undefined,
  hashWaited: () => undefined,
  hashRefused: () => undefined,
  mailDelivery: () => undefined,
};

let sink: CoreObserver = NOOP;

/** Installs the process's observer (the server does this once at start); `undefined` restores the no-op. */
export function setCoreObserver(observer: CoreObserver | undefined): void {
  sink = observer ?? NOOP;
}

/** The core's calls: forwarded to whatever observer is installed. Never throws into the core. */
export const observe: CoreObserver = {
  sessionCreated: (kind) => guard(() => sink.sessionCreated(kind)),
  audited: (event, detail) => guard(() => sink.audited(event, detail)),
  hashWaited: (seconds) => guard(() => sink.hashWaited(seconds)),
  hashRefused: () => guard(() => sink.hashRefused()),
  mailDelivery: (outcome) => guard(() => sink.mailDelivery(outcome)),
};

function guard(fn: () => void): void {
  try {
    fn();
  } catch {
    // Observation must never change what the core decides.
  }
}
