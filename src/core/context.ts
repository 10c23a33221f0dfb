// What the core knows about the caller of a request (for the audit log and throttles) and the clock.

export interface RequestContext {
  ip: string;
  userAgent: string | undefined;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
