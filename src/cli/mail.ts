// `gatehouse mail status [--json]` and `gatehouse mail retry [--id N | --all-dead]`: the operator's view of
// the mail outbox on DATABASE_URL (no payloads, which are encrypted and may hold reset codes), and a retry
// that makes a dead (or waiting) message due at once with a new retry window; a running server sends it.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openStore } from '../server.js';
import type { Store } from '../store/store.js';
import type { Command } from './command.js';

export const MAIL_USAGE = `  mail status [--json]            queued mail: pending, retrying, dead, oldest age, last errors
  mail retry (--id N | --all-dead) [--json]   make a message (or every dead one) due now`;

class MailUsageError extends Error {}

async function withStore<T>(run: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(loadConfig());
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

export interface MailStatus {
  pending: number;
  retrying: number;
  dead: number;
  /** Seconds since the oldest undelivered message was queued; null when none is. */
  oldest_age_seconds: number | null;
  /** The latest errors, newest first: {id, attempts, dead, next_attempt_at, last_error}. */
  last_errors: Array<{ id: number; attempts: number; dead: boolean; next_attempt_at: string | null; last_error: string }>;
}

export async function mailStatus(store: Store, now: number): Promise<MailStatus> {
  const rows = await store.mailQueue();
  const live = rows.filter((r) => r.dead_at === null);
  const oldest = rows.reduce<number | null>((min, r) => (min === null || r.created_at < min ? r.created_at : min), null);
  return {
    pending: live.filter((r) => r.attempts === 0).length,
    retrying: live.filter((r) => r.attempts > 0).length,
    dead: rows.length - live.length,
    oldest_age_seconds: oldest === null ? null : Math.max(0, Math.round((now - oldest) / 1000)),
    last_errors: rows
      .filter((r) => r.last_error !== null)
      .reverse()
      .slice(0, 10)
      .map((r) => ({
        id: r.id,
        attempts: r.attempts,
        dead: r.dead_at !== null,
        next_attempt_at: r.dead_at === null ? new Date(r.next_attempt_at).toISOString() : null,
        last_error: r.last_error ?? '',
      })),
  };
}

function text(s: MailStatus): string {
  const lines = [`pending ${s.pending}, retrying ${s.retrying}, dead ${s.dead}, oldest ${s.oldest_age_seconds === null ? '-' : `${s.oldest_age_seconds} s`}`];
  for (const e of s.last_errors) lines.push(`  #${e.id} ${e.dead ? 'dead' : `retry at ${e.next_attempt_at}`} after ${e.attempts} attempt(s): ${e.last_error}`);
  return lines.join('\n');
}

/** Runs `gatehouse mail ...`; returns the exit code (2: usage, 1: nothing to retry). */
export async function runMail(rest: string[]): Promise<number> {
  const [verb, ...args] = rest;
  try {
    let parsed;
    try {
      parsed = parseArgs({ args, options: { json: { type: 'boolean' }, id: { type: 'string' }, 'all-dead': { type: 'boolean' } }, strict: true });
    } catch (err) {
      throw new MailUsageError(err instanceof Error ? err.message : String(err));
    }
    const v = parsed.values;
    if (verb === 'status') {
      if (v.id !== undefined || v['all-dead']) throw new MailUsageError('mail status takes only --json');
      const s = await withStore((store) => mailStatus(store, Date.now()));
      console.log(v.json ? JSON.stringify(s) : text(s));
      return 0;
    }
    if (verb === 'retry') {
      if ((v.id === undefined) === (v['all-dead'] !== true)) throw new MailUsageError('mail retry needs exactly one of --id N or --all-dead');
      if (v.id !== undefined && !/^[1-9][0-9]{0,14}$/.test(v.id)) throw new MailUsageError(`--id must be a positive whole number, got "${v.id}"`);
      const target = v.id !== undefined ? { id: Number(v.id) } : { allDead: true as const };
      const n = await withStore((store) => store.retryMail(target, Date.now()));
      if (v.id !== undefined && n === 0) {
        console.error(`gatehouse mail: no queued mail with id ${v.id}`);
        return 1;
      }
      console.log(v.json ? JSON.stringify({ retried: n }) : `${n} message(s) due now; a running server sends them`);
      return 0;
    }
    throw new MailUsageError(verb === undefined ? 'mail needs status or retry' : `unknown command "gatehouse mail ${verb}"`);
  } catch (err) {
    if (err instanceof MailUsageError) {
      console.error(`gatehouse mail: ${err.message}\n\nusage:\n${MAIL_USAGE}`);
      return 2;
    }
    throw err;
  }
}

export const mailCommand: Command = {
  name: 'mail',
  summary: 'the mail outbox: status, and retry of dead or waiting messages',
  usage: () => `usage:\n${MAIL_USAGE}`,
  run: runMail,
};
