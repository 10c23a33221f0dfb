// Passwords: the policy a new password must meet, and Argon2id hashing in a bounded pool.
// Hashing runs on libuv's thread pool (argon2's native binding), never on the event loop; at most
// `concurrency` run at once, at most `queue` wait, and past that the caller is told to come back later.
import argon2 from 'argon2';
import { createRequire } from 'node:module';
import { CoreError } from './errors.js';
import { observe } from './metrics.js';
import { wellFormed } from './validate.js';

/** OWASP's floor for Argon2id: 19 MiB, two passes, one lane. */
export const ARGON2_PARAMS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Parameters read from a stored hash are bounded before use: an imported hash cannot ask for gigabytes. */
const LIMITS = { memoryCost: 262144, timeCost: 10, parallelism: 8 };

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
  rejectCommon: boolean;
}

let common: Set<string> | undefined;

/**
 * The common-password list, loaded on first use (issue 9: not at start, where it cost memory and time). Only
 * the list is kept: the package's other dictionaries are let go by dropping it from the module cache.
 */
function commonPasswords(): Set<string> {
  if (common) return common;
  const require = createRequire(import.meta.url);
  const id = require.resolve('@zxcvbn-ts/language-common');
  const { dictionary } = require(id) as { dictionary: Record<string, unknown> };
  common = new Set<string>((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));
  delete require.cache[id];
  return common;
}

export function commonPasswordCount(): number {
  return commonPasswords().size;
}

/** Returns the problem with a proposed password, or undefined when it meets the policy. */
export function passwordProblem(password: string, email: string | undefined, policy: PasswordPolicy): string | undefined {
  if (!wellFormed(password)) return 'Password contains characters that are not valid text';
  const normal = password.normalize('NFKC');
  const length = [...normal].length;
  if (length < policy.minLength) return `Password should be at least ${policy.minLength} characters`;
  if (length > policy.maxLength) return `Password should be at most ${policy.maxLength} characters`;
  if (policy.rejectCommon && commonPasswords().has(normal.toLowerCase())) return 'Password is too common';
  if (email !== undefined && normal.toLowerCase() === email.trim().toLowerCase()) return 'Password must not be the same as the email';
  return undefined;
}

interface Parsed {
  type: string;
  m: number;
  t: number;
  p: number;
}

function parsePhc(hash: string): Parsed | undefined {
  const m = /^\$(argon2id|argon2i|argon2d)\$v=\d+\$([a-z]=\d{1,9}(?:,[a-z]=\d{1,9}){2})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.exec(hash);
  if (!m) return undefined;
  const params = new Map((m[2] as string).split(',').map((kv) => [kv[0], Number(kv.slice(2))] as const));
  const [mem, t, p] = [params.get('m'), params.get('t'), params.get('p')];
  if (mem === undefined || t === undefined || p === undefined) return undefined;
  return { type: m[1] as string, m: mem, t, p };
}

class Semaphore {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(
    private readonly limit: number,
    private readonly queueLimit: number,
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      if (this.waiting.length >= this.queueLimit) {
        observe.hashRefused();
        throw new CoreError('overloaded', 'Too many password checks in progress, try again shortly', { retryAfter: 1 });
      }
      const queued = performance.now();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      observe.hashWaited((performance.now() - queued) / 1000);
    } else {
      this.running++;
      observe.hashWaited(0);
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}

export class PasswordHasher {
  private readonly pool: Semaphore;
  private dummy: Promise<string> | undefined;

  constructor(options: { concurrency: number; queue: number }) {
    this.pool = new Semaphore(options.concurrency, options.queue);
  }

  hash(password: string): Promise<string> {
    return this.pool.run(() => argon2.hash(password.normalize('NFKC'), ARGON2_PARAMS));
  }

  /** Checks a password against a stored hash; a malformed or out-of-bounds hash never verifies. */
  async verify(stored: string, password: string): Promise<boolean> {
    const p = parsePhc(stored);
    if (!p || p.m > LIMITS.memoryCost || p.t > LIMITS.timeCost || p.p > LIMITS.parallelism || p.m < 8 * p.p) {
      await this.verifyDummy(password);
      return false;
    }
    return this.pool.run(async () => {
      try {
        return await argon2.verify(stored, password.normalize('NFKC'));
      } catch {
        return false;
      }
    });
  }

  /** The same work as a real verify, for an unknown email: its answer takes as long as a known one's. */
  async verifyDummy(password: string): Promise<void> {
    this.dummy ??= argon2.hash('gatehouse dummy password', ARGON2_PARAMS);
    const dummy = await this.dummy;
    await this.pool.run(() => argon2.verify(dummy, password.normalize('NFKC')).catch(() => false));
  }

  /** True when a stored hash is weaker than today's parameters (re-hash it after a good login). */
  needsRehash(stored: string): boolean {
    const p = parsePhc(stored);
    if (!p) return true;
    return p.type !== 'argon2id' || p.m < ARGON2_PARAMS.memoryCost || p.t < ARGON2_PARAMS.timeCost;
  }

  get load(): { running: number; waiting: number } {
    return this.pool.load;
  }
}
