// What the core knows about the caller of a request (for the audit log and throttles) and the clock.
import type { AuthNote } from './metrics.js';

export interface RequestContext {
  ip: string;
  userAgent: string | undefined;
  /** The operator's own command line: not subject to the per-address limits meant for clients. */
  operator?: boolean;
  /** Where this request's authentication decisions are noted (its log line and metrics); none outside requests. */
  note?: AuthNote | undefined;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
