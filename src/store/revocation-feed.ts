// Revocations committed by other processes (issue 9), delivered to the credential cache:
// - PostgreSQL: LISTEN on the channel the store NOTIFYs in the revoking transaction (delivered on commit), plus
//   a poll of the revocations table every POLL_MS. A lost notification or a reconnect is covered by the poll;
//   and the cache serves nothing from memory while no poll has succeeded within the last second, so a
//   revoked credential can never live longer than that on any instance. This process's own revocations
//   (its notifications, by their origin word, and its rows, by the ids the store announced at commit) are
//   skipped: the cache had them at commit, and hearing them again bumped its generation, so every lookup then
//   in flight, however unrelated, could not fill it (a burst of Basic requests sharing one verify went on to
//   verify one by one and was shed).
// - SQLite: processes sharing one file. Before the first cache lookup of each event-loop turn, the WAL-index
//   header is compared with the last one read (below), and only when it moved PRAGMA data_version (a counter
//   of commits made by other connections) with the last value seen; when that moved, the new revocation rows
//   are read (better-sqlite3 is synchronous, so this happens before the lookup answers): a revocation
//   committed before a request was sent is always seen.
import { closeSync, openSync, readSync } from 'node:fs';
import type pg from 'pg';
import type { RevocationGuard } from '../core/credential-cache.js';
import { loadPg } from './db.js';
import { REVOCATION_CHANNEL, type Store } from './store.js';

export interface RevocationFeed extends RevocationGuard {
  stop(): Promise<void>;
}

export interface FeedTarget {
  invalidate(tags: readonly string[]): void;
  invalidateAll(): void;
}

/** How often PostgreSQL instances poll; the cache refuses to serve when the last good poll is older than FRESH_MS. */
export const POLL_MS = 200;
const FRESH_MS = 1000;
/** Ids are handed out before commit, so a later id can commit first: each poll looks back this many ids. */
const LOOK_BACK = 64;

export async function startRevocationFeed(store: Store, target: FeedTarget): Promise<RevocationFeed> {
  if (store.dialect === 'sqlite') return sqliteFeed(store, target);
  return postgresFeed(store, target);
}

/** The size of one copy of the WAL-index header at the start of the `-shm` file (sqlite.org/walformat.html). */
const WAL_INDEX_HEADER = 48;

/**
 * Whether any connection may have committed since the last call: the first copy of SQLite's WAL-index header,
 * read from the database's `-shm` file with one pread of a descriptor kept open, compared with the copy read
 * last time. Every commit, by any connection of any process, rewrites that header (its change counter, last
 * frame and checksums; the first copy last) before the commit is visible to other connections, so equal bytes
 * mean nothing was committed since. Bytes that differ in any way (also a read torn by a commit in progress), a
 * failed read or no `-shm` file answer yes: then PRAGMA data_version decides, as before. Issue 9: the pragma
 * takes a read lock (two fcntl calls) and was among the largest costs of a SQLite token request under load;
 * this read is one system call without a lock.
 */
function walIndexWatch(file: string): { moved(): boolean; close(): void } {
  let fd: number | undefined;
  try {
    fd = openSync(`${file}-shm`, 'r');
  } catch {
    fd = undefined;
  }
  const read = Buffer.alloc(WAL_INDEX_HEADER);
  // Zeros until the first read: a real header never is (its first field is the format version, 3007000).
  const last = Buffer.alloc(WAL_INDEX_HEADER);
  return {
    moved() {
      if (fd === undefined) return true;
      let n: number;
      try {
        n = readSync(fd, read, 0, WAL_INDEX_HEADER, 0);
      } catch {
        return true;
      }
      if (n !== WAL_INDEX_HEADER) return true;
      if (read.equals(last)) return false;
      read.copy(last);
      return true;
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

function sqliteFeed(store: Store, target: FeedTarget): RevocationFeed {
  const db = store.source.sqlite;
  // An in-memory database belongs to this process alone.
  if (!db || db.memory) return { sync: () => undefined, fresh: () => true, stop: async () => undefined };
  // Read before the pragma's first value: a commit in between moves the header, so the next check sees it.
  const wal = walIndexWatch(db.name);
  wal.moved();
  const version = db.prepare('pragma data_version').pluck();
  const since = db.prepare('select id, tag from revocations where id > ? order by id');
  let seen = version.get() as number;
  let last = Number(db.prepare('select coalesce(max(id), 0) from revocations').pluck().get());
  // One check per event-loop turn (issue 9: the pragma takes a read lock, two system calls, and was 13 % of
  // a token request; the header read in front of it is one system call): it is made by the first lookup after
  // the turn's I/O was polled, and every lookup of the same turn answers requests whose bytes had already
  // arrived when that check ran, so a revocation committed before any of them was sent is seen. The flag is
  // cleared in the turn's check phase.
  let checked = false;
  const clear = () => {
    checked = false;
  };
  return {
    sync() {
      if (checked) return;
      checked = true;
      setImmediate(clear);
      if (!wal.moved()) return;
      const v = version.get() as number;
      if (v === seen) return;
      seen = v;
      const rows = since.all(last) as Array<{ id: number; tag: string }>;
      if (rows.length === 0) return;
      last = Number(rows[rows.length - 1]?.id ?? last);
      target.invalidate(rows.map((r) => r.tag));
    },
    fresh: () => true,
    stop: async () => wal.close(),
  };
}

async function postgresFeed(store: Store, target: FeedTarget): Promise<RevocationFeed> {
  const url = store.source.postgresUrl;
  let lastGoodPoll = 0;
  let maxSeen = await store.lastRevocationId();
  const seen = new Set<number>();
  let stopped = false;
  let client: pg.Client | undefined;
  let reconnect: NodeJS.Timeout | undefined;
  // Our own rows, announced at commit: the poll counts them as seen.
  const unsubscribe = store.onRevoked((_tags, ids) => {
    for (const id of ids) seen.add(id);
  });
  const ours = `@${store.origin}`;

  const listen = async () => {
    if (stopped || !url) return;
    const c: pg.Client = new (loadPg().Client)({ connectionString: url });
    const retry = () => {
      if (client === c) client = undefined;
      c.removeAllListeners('notification');
      c.end().catch(() => undefined);
      if (!stopped && !reconnect) reconnect = setTimeout(() => ((reconnect = undefined), void listen()), 500).unref();
    };
    c.on('error', retry);
    c.on('end', retry);
    c.on('notification', (n) => {
      if (n.channel !== REVOCATION_CHANNEL || !n.payload) return;
      const words = n.payload.split(' ');
      if (words[0] === ours) return;
      // A payload without an origin word (a process of an earlier version) is all tags.
      target.invalidate(words[0]?.startsWith('@') ? words.slice(1) : words);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${REVOCATION_CHANNEL}`);
      client = c;
    } catch {
      retry();
    }
  };

  let polling = false;
  const poll = async () => {
    if (polling || stopped) return;
    polling = true;
    const started = Date.now();
    try {
      const rows = await store.revocationsAfter(Math.max(0, maxSeen - LOOK_BACK));
      const fresh = rows.filter((r) => !seen.has(r.id));
      for (const r of rows) {
        seen.add(r.id);
        if (r.id > maxSeen) maxSeen = r.id;
      }
      for (const id of seen) if (id <= maxSeen - LOOK_BACK) seen.delete(id);
      if (fresh.length > 0) target.invalidate(fresh.map((r) => r.tag));
      lastGoodPoll = started;
    } catch {
      // The store is unreachable: lastGoodPoll ages and the cache stops serving.
    } finally {
      polling = false;
    }
  };

  await listen();
  await poll();
  const timer = setInterval(() => void poll(), POLL_MS).unref();
  return {
    sync: () => undefined,
    fresh: () => Date.now() - lastGoodPoll < FRESH_MS,
    async stop() {
      stopped = true;
      unsubscribe();
      clearInterval(timer);
      if (reconnect) clearTimeout(reconnect);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => undefined);
        await c.end().catch(() => undefined);
      }
    },
  };
}
