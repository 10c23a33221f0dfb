// The revocation feeds (issue 9). SQLite: processes sharing one database file learn of each other's revocations
// before the next cache lookup of a later event-loop turn. A second connection to the same file stands in for
// the other process: each commit it makes must reach this process's feed on the very next turn, also when the
// commits come one per turn (every one moves the WAL-index header the feed reads before its pragma).
// PostgreSQL: another process's revocations arrive (by NOTIFY, and by the poll), and a process's own, which
// its cache applied at commit, do not come back. A second store with its own pool stands in for the other
// process.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { migrate, openDatabase } from '../../src/store/db.js';
import { POLL_MS, startRevocationFeed } from '../../src/store/revocation-feed.js';
import { createStore, REVOCATION_CHANNEL } from '../../src/store/store.js';
import { BACKEND } from '../helpers/server.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the SQLite revocation feed', () => {
  it('delivers every revocation committed by another connection on the next event-loop turn, and nothing else', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-feed-'));
    const file = path.join(dir, 'g.db');
    const open = openDatabase({ kind: 'sqlite', file });
    await migrate(open);
    const store = createStore(open.db, open.dialect, { sqlite: open.sqlite });
    const delivered: string[] = [];
    const feed = await startRevocationFeed(store, { invalidate: (tags) => delivered.push(...tags), invalidateAll: () => undefined });
    const other = new BetterSqlite3(file);
    const revoke = other.prepare('insert into revocations (at, tag) values (?, ?)');
    try {
      feed.sync();
      await nextTurn();
      assert.deepEqual(delivered, [], 'nothing was revoked yet');
      for (let i = 0; i < 200; i++) {
        revoke.run(Date.now(), `account:${i}`);
        await nextTurn();
        feed.sync();
        assert.deepEqual(delivered, [`account:${i}`], `revocation ${i} is seen on the next turn`);
        delivered.length = 0;
        // A commit of this process's own connection (a failed-login count) moves the header too, but brings no
        // other connection's rows.
        await store.recordFailure(`test:${i}`, Date.now(), 60_000, 100, 60_000);
        await nextTurn();
        feed.sync();
        assert.deepEqual(delivered, [], `nothing new after revocation ${i}`);
      }
    } finally {
      other.close();
      await feed.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the PostgreSQL revocation feed', { skip: BACKEND === 'postgres' ? false : 'tested in the PostgreSQL run' }, () => {
  it("delivers another process's revocations and not its own", async () => {
    const url = process.env.GATEHOUSE_TEST_DATABASE_URL ?? '';
    const mine = openDatabase({ kind: 'postgres', url });
    await migrate(mine);
    const store = createStore(mine.db, mine.dialect, { postgresUrl: url });
    const theirs = openDatabase({ kind: 'postgres', url });
    const other = createStore(theirs.db, theirs.dialect, { postgresUrl: url });
    const delivered = new Set<string>();
    const feed = await startRevocationFeed(store, { invalidate: (tags) => tags.forEach((t) => delivered.add(t)), invalidateAll: () => undefined });
    // Session ids no row has, unique to this run: the tags are all that is looked at.
    const base = 2_000_000_000 + Math.floor(Math.random() * 1_000_000) * 10;
    const arrived = async (tag: string) => {
      for (let waited = 0; waited < 2000 && !delivered.has(tag); waited += 10) await new Promise((r) => setTimeout(r, 10));
      return delivered.has(tag);
    };
    try {
      // Ours first, then theirs: once theirs has arrived by the poll too, ours has had the same polls.
      await store.revokeSession(base + 1, Date.now());
      await other.revokeSession(base + 2, Date.now());
      assert.ok(await arrived(`session:${base + 2}`), "the other process's revocation arrives");
      await new Promise((r) => setTimeout(r, 3 * POLL_MS));
      assert.equal(delivered.has(`session:${base + 1}`), false, 'our own does not come back, by NOTIFY or by the poll');
      assert.equal([...delivered].some((t) => t.startsWith('@')), false, 'the origin word is not a tag');
      // A notification without an origin word (a process of an earlier version) is all tags.
      await sql`select pg_notify(${REVOCATION_CHANNEL}, ${`session:${base + 3} session:${base + 4}`})`.execute(theirs.db);
      assert.ok(await arrived(`session:${base + 3}`));
      assert.ok(await arrived(`session:${base + 4}`));
    } finally {
      await feed.stop();
      await other.close();
      await store.close();
    }
  });
});
