// The SQLite revocation feed (issue 9): processes sharing one database file learn of each other's revocations
// before the next cache lookup of a later event-loop turn. A second connection to the same file stands in for
// the other process: each commit it makes must reach this process's feed on the very next turn, also when the
// commits come one per turn (every one moves the WAL-index header the feed reads before its pragma).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { migrate, openDatabase } from '../../src/store/db.js';
import { startRevocationFeed } from '../../src/store/revocation-feed.js';
import { createStore } from '../../src/store/store.js';

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
