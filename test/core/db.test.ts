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
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const seen: Record<string, number> = {};
      const unsynced = store.transactionUnsynced(async (tx) => {
        await tx.recordFailure('test:a', Date.now(), 60_000, 5, 60_000);
        await held;
        seen.unsynced = level();
      });
      const ordinary = store.transaction(async (tx) => {
        await tx.recordFailure('test:b', Date.now(), 60_000, 5, 60_000);
        seen.ordinary = level();
      });
      // Let both start: the ordinary one must wait for the connection, not commit under NORMAL meanwhile.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(seen.ordinary, undefined, 'the ordinary transaction waited for the connection');
      release();
      await Promise.all([unsynced, ordinary]);
      assert.deepEqual(seen, { unsynced: 1, ordinary: 2 }, 'NORMAL (1) for the bookkeeping, FULL (2) for the other');
      assert.equal(level(), 2, 'FULL again afterwards');

      // The other order: an ordinary transaction in flight when the unsynced one is asked for.
      let release2!: () => void;
      const held2 = new Promise<void>((resolve) => (release2 = resolve));
      const seen2: Record<string, number> = {};
      const first = store.transaction(async (tx) => {
        await tx.recordFailure('test:c', Date.now(), 60_000, 5, 60_000);
        await held2;
        seen2.ordinary = level();
      });
      await new Promise((resolve) => setImmediate(resolve));
      const second = store.transactionUnsynced(async (tx) => {
        await tx.recordFailure('test:d', Date.now(), 60_000, 5, 60_000);
        seen2.unsynced = level();
      });
      await new Promise((resolve) => setImmediate(resolve));
      release2();
      await Promise.all([first, second]);
      assert.deepEqual(seen2, { ordinary: 2, unsynced: 1 }, 'the transaction in flight still commits with FULL');
      await assert.rejects(store.transactionUnsynced(() => Promise.reject(new Error('boom'))), /boom/);
      assert.equal(level(), 2, 'FULL again after a failed unsynced transaction');
      assert.equal((await store.throttleState('test:a'))?.failures, 1, 'the unsynced write is there');
    } finally {
      await open.db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

