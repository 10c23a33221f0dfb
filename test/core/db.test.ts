// security.md, Data: "An acknowledged write survives a crash of the process (SQLite in WAL mode with a
// durable sync setting)". journal_mode persists in the file (crash.test.ts checks it from outside), but
// synchronous is a setting of each connection: it is checked on the connection the server opens.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { migrate, openDatabase } from '../../src/store/db.js';
import { createStore } from '../../src/store/store.js';

describe('the SQLite connection', () => {
  it('runs in WAL mode with synchronous=FULL', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-db-'));
    const { db } = openDatabase({ kind: 'sqlite', file: path.join(dir, 'g.db') });
    try {
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
      assert.equal(mode.rows[0]?.journal_mode, 'wal');
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
      assert.equal(sync.rows[0]?.synchronous, 2, 'FULL (2)');
    } finally {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // README, "Durability": a failed login's bookkeeping commits with synchronous=NORMAL (no fsync on the event
  // loop during a guessing storm); every other commit keeps FULL, even one queued behind it.
  it('commits only the unsynced transaction with synchronous=NORMAL, and a transaction queued behind it with FULL', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-db-'));
    const open = openDatabase({ kind: 'sqlite', file: path.join(dir, 'g.db') });
    const sqlite = open.sqlite;
    assert.ok(sqlite);
    await migrate(open);
    const store = createStore(open.db, open.dialect, { sqlite });
    const level = () => sqlite.pragma('synchronous', { simple: true }) as number;
    type Kind = 'unsynced' | 'ordinary';
    let keys = 0;
    /**
     * Starts a transaction of kind `first` that holds the connection until released, then one of kind `second`;
     * returns the synchronous level each saw just before its commit. The second must wait for the connection.
     */
    const inTurn = async (first: Kind, second: Kind): Promise<{ first: number; second: number }> => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const seen: { first?: number; second?: number } = {};
      const start = (kind: Kind, slot: 'first' | 'second') => {
        const body = async (tx: typeof store) => {
          await tx.recordFailure(`test:${keys++}`, Date.now(), 60_000, 5, 60_000);
          if (slot === 'first') await held;
          seen[slot] = level();
        };
        return kind === 'unsynced' ? store.transactionUnsynced(body) : store.transaction(body);
      };
      const a = start(first, 'first');
      await new Promise((resolve) => setImmediate(resolve));
      const b = start(second, 'second');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(seen.second, undefined, `the ${second} transaction waited for the connection`);
      release();
      await Promise.all([a, b]);
      return { first: seen.first ?? -1, second: seen.second ?? -1 };
    };
    try {
      assert.deepEqual(await inTurn('unsynced', 'ordinary'), { first: 1, second: 2 }, 'NORMAL (1) for the bookkeeping, FULL (2) for the one queued behind it');
      assert.equal(level(), 2, 'FULL again afterwards');
      // The other order: an ordinary transaction in flight when the unsynced one is asked for.
      assert.deepEqual(await inTurn('ordinary', 'unsynced'), { first: 2, second: 1 }, 'the transaction in flight still commits with FULL');
      await assert.rejects(store.transactionUnsynced(() => Promise.reject(new Error('boom'))), /boom/);
      assert.equal(level(), 2, 'FULL again after a failed unsynced transaction');
      assert.equal((await store.throttleState('test:0'))?.failures, 1, 'the unsynced write is there');
    } finally {
      await open.db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

