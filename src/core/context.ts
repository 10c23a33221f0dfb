// What the core knows about the caller of a request (for the audit log and throttles) and the clock.

export interface RequestContext {
  ip: string;
  userAgent: string | undefined;
  /** The operator's own command line: not subject to the per-address limits meant for clients. */
  operator?: boolean;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
